"""One help search over every procedure's guidance and frequent questions, leading to the exact part.

The index is made of passages: a step, a document to prepare, a frequent question, the summary...
each with the procedure page and the anchor it came from. Passages come from sources (`SOURCES`):
today the procedure pages; a later "published answer" source is one more function that yields
passages of its own kind and says which revision of its data they reflect.

Words are folded like the catalogue's (onestop.text) and expanded by the catalogue's own
`expand_words`, so both forgive the same typos; help adds the pack's abbreviations (CCCD →
"căn cước công dân"), which become a group of phrases, any of which may match. A passage matches
when every group is found in it or in its procedure's name. The index lives in each process and is
rebuilt when a source's revision changes; a search costs no database scan, on SQLite or PostgreSQL.
"""

import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from onestop.extensions import db
from onestop.procedures.models import DocumentType, Procedure
from onestop.procedures.search import expand_words
from onestop.provinces.models import Province
from onestop.text import fold, words

# Help words are longer than catalogue names' fragments; a typo is forgiven from four letters.
MIN_TYPO_LENGTH = 4
MAX_RESULTS = 20
PER_PROCEDURE = 3


@dataclass(frozen=True)
class Passage:
    """A searchable part of a page: where it leads, what it shows, the words it is found by."""

    kind: str  # summary, step, document, fee, result, faq, answer (published by an agency)
    slug: str
    procedure_name: dict
    anchor: str
    number: int  # the step's or question's position, for its label
    title: dict  # a question, a document's name; may be empty
    text: dict
    words: frozenset[str]
    name_words: frozenset[str]


@dataclass
class HelpIndex:
    passages: list[Passage]
    by_word: dict[str, frozenset[int]]  # a word -> the passages it is in, or in whose procedure name
    own_by_word: dict[str, frozenset[int]]  # a word -> the passages whose own text has it
    ordered: tuple[str, ...]
    abbreviations: dict[str, "Abbreviation"]  # by folded short form


@dataclass(frozen=True)
class Abbreviation:
    short: str  # as the pack writes it, e.g. CCCD
    means: tuple[str, ...]  # as the pack writes them
    phrases: tuple[tuple[str, ...], ...]  # the folded words of the short form and of each meaning


@dataclass(frozen=True)
class Hit:
    passage: Passage
    terms: frozenset[tuple[str, ...]]  # folded words and phrases to highlight


@dataclass
class HelpResult:
    hits: list[Hit]
    total: int
    corrections: dict[str, list[str]]
    ignored: list[str]
    expanded: dict[str, list[str]]  # abbreviation typed -> what it was read as
    partial: bool = False  # no passage had every word; these have the rarest of them


def _texts(*values: dict | None) -> set[str]:
    return {word for value in values if value for text in value.values() for word in words(text)}


def procedure_passages(province: Province) -> Iterable[Passage]:
    """Every part of every active procedure page that a question may be about, with its anchor."""
    named = select(DocumentType.code, DocumentType.name).where(DocumentType.province_id == province.id)
    names = {code: name for code, name in db.session.execute(named)}  # noqa: C416 (rows, not pairs)
    rows = db.session.execute(
        select(Procedure.slug, Procedure.name, Procedure.definition).where(
            Procedure.province_id == province.id, Procedure.is_active
        )
    )
    for slug, name, spec in rows:
        yield from _page_passages(slug, name, spec, names)


def _page_passages(slug: str, name: dict, spec: dict, document_names: dict[str, dict]) -> Iterable[Passage]:
    name_words = frozenset(_texts(name))

    def passage(kind, anchor, text, title=None, number=0, extra=()):
        found = _texts(text, title, *extra)
        return Passage(kind, slug, name, anchor, number, title or {}, text or {}, frozenset(found), name_words)

    keywords = {"vi": " ".join(spec.get("keywords", []))}
    yield passage("summary", "about", spec.get("summary"), extra=(spec.get("audience"), name, keywords))
    for number, step in enumerate(spec.get("steps", []), start=1):
        yield passage("step", f"step-{number}", step, number=number)
    for document in spec.get("documents", []):
        title = document_names.get(document["type"], {"vi": document["type"]})
        yield passage("document", f"document-{document['type']}", document.get("note"), title=title)
    if spec.get("fee_note"):
        yield passage("fee", "fees", spec["fee_note"])
    result = spec.get("result") or {}
    yield passage("result", "result", result.get("description"), title=result.get("name"))
    for number, item in enumerate(spec.get("faq", []), start=1):
        yield passage("faq", f"faq-{number}", item["answer"], title=item["question"], number=number)


def procedure_revision(province: Province) -> tuple:
    # loaded_at too: a database rebuilt from scratch can reuse an id and a revision number.
    return (province.catalogue_revision, province.loaded_at)


def answer_passages(province: Province) -> Iterable[Passage]:
    """Every question and answer an agency published on a procedure page (onestop/feedback)."""
    from onestop.feedback.models import PublicAnswer

    rows = db.session.execute(
        select(PublicAnswer.id, PublicAnswer.question, PublicAnswer.answer, Procedure.slug, Procedure.name)
        .join(Procedure, Procedure.id == PublicAnswer.procedure_id)
        .where(PublicAnswer.province_id == province.id, PublicAnswer.is_published, Procedure.is_active)
        .order_by(PublicAnswer.id)
    )
    for number, (ident, question, answer, slug, name) in enumerate(rows, start=1):
        # The officer writes the public text once, in the language of the question.
        title, text = {"vi": question}, {"vi": answer}
        found = frozenset(_texts(title, text))
        yield Passage("answer", slug, name, f"answer-{ident}", number, title, text, found, frozenset(_texts(name)))


def answer_revision(province: Province) -> tuple:
    from onestop.feedback.models import PublicAnswer

    return tuple(
        db.session.execute(
            select(func.count(PublicAnswer.id), func.max(PublicAnswer.updated_at)).where(
                PublicAnswer.province_id == province.id
            )
        ).one()
    )


# Each source: (revision of its data for a province, its passages).
SOURCES: list[tuple[Callable[[Province], tuple], Callable[[Province], Iterable[Passage]]]] = [
    (procedure_revision, procedure_passages),
    (answer_revision, answer_passages),
]

_indexes: dict[int, tuple[tuple, HelpIndex]] = {}
_lock = threading.Lock()


def help_index(province: Province) -> HelpIndex:
    key = tuple(revision(province) for revision, _passages in SOURCES)
    cached = _indexes.get(province.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    index = _build(province)
    with _lock:
        _indexes[province.id] = (key, index)
    return index


def forget_index() -> None:
    """Build the index afresh on the next search (tests)."""
    with _lock:
        _indexes.clear()


def _build(province: Province) -> HelpIndex:
    passages = [passage for _revision, source in SOURCES for passage in source(province)]
    # Lists, not sets, while building: each passage's words are unique already, and appending is cheaper.
    by_word: defaultdict[str, list[int]] = defaultdict(list)
    own_by_word: defaultdict[str, list[int]] = defaultdict(list)
    for position, passage in enumerate(passages):
        for word in passage.words:
            own_by_word[word].append(position)
        for word in passage.words | passage.name_words:
            by_word[word].append(position)
    abbreviations = {
        fold(entry["short"]): Abbreviation(
            short=entry["short"],
            means=tuple(entry["means"]),
            phrases=tuple(tuple(words(text)) for text in [entry["short"], *entry["means"]]),
        )
        for entry in (province.help or {}).get("abbreviations", [])
    }
    return HelpIndex(
        passages=passages,
        by_word={word: frozenset(ids) for word, ids in by_word.items()},
        own_by_word={word: frozenset(ids) for word, ids in own_by_word.items()},
        ordered=tuple(sorted(by_word)),
        abbreviations=abbreviations,
    )


def _read_abbreviations(index: HelpIndex, folded: str) -> tuple[str, list[list[list[str]]], dict[str, list[str]]]:
    """Take the abbreviations out of a folded query; each becomes a group of phrases (lists of words),
    any of which may match. Also returns what each was read as, for the page to say."""
    text = f" {folded} "
    groups, expanded = [], {}
    for short in sorted(index.abbreviations, key=len, reverse=True):
        if f" {short} " in text:
            text = text.replace(f" {short} ", " ")
            entry = index.abbreviations[short]
            groups.append([list(phrase) for phrase in entry.phrases])
            expanded[entry.short] = list(entry.means)
    return text.strip(), groups, expanded


def _ids_of(by_word: dict[str, frozenset[int]], phrase: list[str]) -> set[int]:
    """The passages holding every word of a phrase."""
    found: set[int] | None = None
    for word in phrase:
        ids = by_word.get(word, frozenset())
        found = set(ids) if found is None else found & ids
        if not found:
            return set()
    return found or set()


# A little extra for the parts that answer a question most directly.
_KIND_BONUS = {"faq": 0.3, "answer": 0.3, "summary": 0.2}


def search_help(province: Province, query: str) -> HelpResult:
    """The passages that answer a query, best first, at most PER_PROCEDURE per procedure page.

    A passage with every group (in its own text or its procedure's name) is a full answer; when none
    has them all, the ones with the rarest words lead, so "lam giay khai sinh cho con" still finds
    the birth registration. Rarity is log(passages / passages with the group), as in tf-idf.
    """
    index = help_index(province)
    rest, phrase_groups, expanded = _read_abbreviations(index, " ".join(words(query)))
    word_groups, corrections, ignored = expand_words(rest, index.by_word, index.ordered, MIN_TYPO_LENGTH)
    groups = phrase_groups + [[[word] for word in group] for group in word_groups]
    anywhere, own = [], []
    for group in groups:
        anywhere.append(set().union(*(_ids_of(index.by_word, phrase) for phrase in group)))
        own.append(set().union(*(_ids_of(index.own_by_word, phrase) for phrase in group)))
    if not any(anywhere):
        return HelpResult([], 0, corrections, ignored, expanded)

    total = len(index.passages)
    weights = [math.log((total + 1) / (len(ids) + 0.5)) for ids in anywhere]
    complete = set.intersection(*anywhere)
    partial = not complete
    candidates = complete or set().union(*anywhere)

    def score(i: int) -> float:
        passage = index.passages[i]
        points = _KIND_BONUS.get(passage.kind, 0.0)
        for weight, group, ids, mine in zip(weights, groups, anywhere, own, strict=True):
            if i in ids:
                points += weight if i in mine else weight / 2
                # Words of the procedure's own name say most about which page is meant.
                if any(set(phrase) <= passage.name_words for phrase in group):
                    points += weight / 2
        return points

    scored = sorted(((score(i), i) for i in candidates), key=lambda pair: (-pair[0], index.passages[pair[1]].slug))
    if partial:
        best = scored[0][0]
        scored = [(points, i) for points, i in scored if points >= best / 2]
    terms = frozenset(tuple(phrase) for group in groups for phrase in group)
    per_page: dict[str, int] = {}
    hits = []
    for _points, i in scored:
        passage = index.passages[i]
        if per_page.get(passage.slug, 0) >= PER_PROCEDURE:
            continue
        per_page[passage.slug] = per_page.get(passage.slug, 0) + 1
        hits.append(Hit(passage, terms))
    return HelpResult(hits[:MAX_RESULTS], len(hits), corrections, ignored, expanded, partial)
