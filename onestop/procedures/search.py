"""Catalogue search that forgives missing diacritics and one-letter typos.

Text is folded (no accents, lower case) when a pack loads. A query is folded the same way; each word
must start a word of a procedure's text. A word that starts no word in the catalogue is replaced by
the catalogue words one edit away (a letter wrong, missing, extra or swapped), so "ly lich tu phpa"
still finds "lý lịch tư pháp". Words that match nothing at all are set aside and shown to the user,
rather than emptying the results.

The catalogue only changes when a pack loads, so each process keeps an index of it per catalogue
revision: the words, the cards a result list shows, the facets. A search then costs no database
scan. How often procedures are filed changes all the time; those counts, used for ordering, are
re-read at most once a minute.
"""

import bisect
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import select

from onestop.extensions import db
from onestop.i18n import localized
from onestop.procedures.models import Procedure, ProcedureAgency, Sector
from onestop.provinces.models import Agency, Province
from onestop.text import words

_MIN_TYPO_LENGTH = 3
# Words people type around what they look for ("thủ tục ... như thế nào") that name no procedure.
_FILLER_PHRASES = ("thu tuc", "hanh chinh", "nhu the nao", "the nao", "o dau", "bao nhieu")
_FILLER_WORDS = frozenset(
    ["toi", "muon", "can", "lam", "cach", "xin", "how", "do", "i", "to", "the", "a", "an", "of", "for", "procedure"]
)
FILING_COUNTS_MAX_AGE = 60.0


@dataclass(frozen=True)
class Card:
    """What a result list shows of a procedure; plain data, shared by every request of a process."""

    id: int
    slug: str
    name: dict
    summary: dict
    online_level: str
    processing_days: int
    agency_name: dict
    sector_id: int
    featured: bool
    search_name: str
    name_words: frozenset[str]

    def display_name(self) -> str:
        return localized(self.name)

    def display_agency(self) -> str:
        return localized(self.agency_name)


@dataclass
class CatalogueIndex:
    cards: dict[int, Card]
    by_word: dict[str, frozenset[int]]
    ordered: tuple[str, ...]
    agencies_of: dict[int, frozenset[int]]
    sectors: list[tuple[int, dict, int]]  # id, name, number of procedures
    agencies: list[tuple[int, dict]]  # id, name

    options_html: dict[tuple[str, str], str] = field(default_factory=dict)
    # Cards by popularity, for listings without a query, kept while the filing counts are unchanged.
    popular: tuple[int, list[Card]] | None = None

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.by_word)

    def filter_options(self, facet: str, lang: str, selected: int | None) -> Markup:
        """The <option> list of a filter, rendered once per catalogue revision and language.

        A province can have hundreds of agencies; rendering their names on every search cost more
        than the search itself.
        """
        key = (facet, lang)
        html = self.options_html.get(key)
        if html is None:
            rows = self.sectors if facet == "sector" else [(i, name, None) for i, name in self.agencies]
            html = "".join(
                f'<option value="{i}">{escape(localized(name, lang))}{f" ({count})" if count else ""}</option>'
                for i, name, count in rows
            )
            self.options_html[key] = html
        if selected:
            html = html.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>', 1)
        return Markup(html)


@dataclass
class Filters:
    agency_id: int | None = None
    sector_id: int | None = None
    online_level: str | None = None


@dataclass
class SearchResult:
    procedures: list[Card]
    total: int
    page: int
    per_page: int
    corrections: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


_indexes: dict[int, tuple[tuple, CatalogueIndex]] = {}
_counts: dict[int, tuple[float, dict[int, int]]] = {}
_lock = threading.Lock()


def catalogue_index(province: Province) -> CatalogueIndex:
    # loaded_at too: a database rebuilt from scratch can reuse an id and a revision number.
    key = (province.catalogue_revision, province.loaded_at)
    cached = _indexes.get(province.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    index = _build_index(province)
    with _lock:
        _indexes[province.id] = (key, index)
    return index


def _build_index(province: Province) -> CatalogueIndex:
    rows = db.session.execute(
        select(
            Procedure.id,
            Procedure.slug,
            Procedure.name,
            Procedure.summary,
            Procedure.online_level,
            Procedure.processing_days,
            Procedure.sector_id,
            Procedure.featured,
            Procedure.search_name,
            Procedure.search_text,
            Agency.name,
        )
        .outerjoin(Agency, Agency.id == Procedure.receiving_agency_id)
        .where(Procedure.province_id == province.id, Procedure.is_active)
    ).all()
    cards, word_ids = {}, {}
    for row in rows:
        cards[row.id] = Card(
            id=row.id,
            slug=row.slug,
            name=row.name,
            summary=row.summary,
            online_level=row.online_level,
            processing_days=row.processing_days,
            agency_name=row[10] or {},
            sector_id=row.sector_id,
            featured=row.featured,
            search_name=row.search_name,
            name_words=frozenset(row.search_name.split()),
        )
        for word in set(row.search_text.split()):
            word_ids.setdefault(word, set()).add(row.id)
    agencies_of: dict[int, set[int]] = {}
    for procedure_id, agency_id in db.session.execute(
        select(ProcedureAgency.procedure_id, ProcedureAgency.agency_id).where(ProcedureAgency.procedure_id.in_(cards))
    ):
        agencies_of.setdefault(procedure_id, set()).add(agency_id)
    sector_counts: dict[int, int] = {}
    for card in cards.values():
        sector_counts[card.sector_id] = sector_counts.get(card.sector_id, 0) + 1
    sectors = [
        (sector.id, sector.name, sector_counts[sector.id])
        for sector in db.session.scalars(select(Sector).where(Sector.province_id == province.id).order_by(Sector.code))
        if sector.id in sector_counts
    ]
    agency_ids = set().union(*agencies_of.values()) if agencies_of else set()
    agencies = [
        (agency_id, name)
        for agency_id, name in db.session.execute(
            select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids), Agency.is_active).order_by(Agency.code)
        )
    ]
    return CatalogueIndex(
        cards=cards,
        by_word={word: frozenset(ids) for word, ids in word_ids.items()},
        ordered=tuple(sorted(word_ids)),
        agencies_of={pid: frozenset(ids) for pid, ids in agencies_of.items()},
        sectors=sectors,
        agencies=agencies,
    )


def by_popularity(province: Province) -> list[Card]:
    """All cards, filed most often first, then the pack's featured ones, then by name."""
    index = catalogue_index(province)
    counts = filing_counts(province)
    if index.popular is None or index.popular[0] != id(counts):
        ordered = sorted(index.cards.values(), key=lambda c: (-counts.get(c.id, 0), not c.featured, c.search_name))
        index.popular = (id(counts), ordered)
    return index.popular[1]


def filing_counts(province: Province) -> dict[int, int]:
    """How often each procedure was filed, re-read at most once a minute."""
    cached = _counts.get(province.id)
    now = time.monotonic()
    if cached is not None and now - cached[0] < FILING_COUNTS_MAX_AGE:
        return cached[1]
    counts = dict(
        db.session.execute(
            select(Procedure.id, Procedure.filing_count).where(
                Procedure.province_id == province.id, Procedure.filing_count > 0
            )
        ).all()
    )
    with _lock:
        _counts[province.id] = (now, counts)
    return counts


def forget_caches() -> None:
    """Build the index and read the counts afresh on the next search (tests)."""
    with _lock:
        _counts.clear()
        _indexes.clear()


def _prefixed(word: str, ordered: tuple[str, ...]) -> list[str]:
    """The catalogue words that start with `word`."""
    start = bisect.bisect_left(ordered, word)
    end = bisect.bisect_left(ordered, word + "\uffff")
    return list(ordered[start:end])


def expand_query(province: Province, query: str) -> tuple[list[list[str]], dict[str, list[str]], list[str]]:
    """Each query word becomes a group of alternatives; returns (groups, corrections, ignored words)."""
    index = catalogue_index(province)
    return expand_words(query, index.by_word, index.ordered)


def expand_words(
    query: str, by_word: Mapping[str, object], ordered: tuple[str, ...], min_typo_length: int = _MIN_TYPO_LENGTH
) -> tuple[list[list[str]], dict[str, list[str]], list[str]]:
    """Fold a query against a vocabulary (`ordered` is its words sorted): each word becomes a group of
    alternatives (itself, the words it starts when it is the last one, or the words one edit away).

    Shared by the catalogue and the help search, so both forgive the same mistakes the same way.
    Returns (groups, corrections, ignored words).
    """
    groups, corrections, ignored = [], {}, []
    text = f" {' '.join(words(query))} "
    for phrase in _FILLER_PHRASES:
        text = text.replace(f" {phrase} ", " ")
    query_words = list(dict.fromkeys(text.split()))
    for position, word in enumerate(query_words):
        if word in _FILLER_WORDS and word not in by_word:
            continue
        # Whole words, except the last one, which may still be being typed.
        is_last = position == len(query_words) - 1
        if word in by_word or (is_last and _prefixed(word, ordered)):
            # The word as typed leads its group: the phrase bonus below looks for it.
            groups.append([word] if not is_last else list(dict.fromkeys([word, *_prefixed(word, ordered)])))
            continue
        near = []
        if len(word) >= min_typo_length:
            near = [
                match
                for match, _distance, _index in process.extract(
                    word, ordered, scorer=OSA.distance, score_cutoff=1, limit=8
                )
            ]
        if near:
            groups.append(near)
            corrections[word] = sorted(near)
        else:
            ignored.append(word)
    return groups, corrections, ignored


def search_procedures(
    province: Province, query: str = "", filters: Filters | None = None, page: int = 1, per_page: int = 20
) -> SearchResult:
    filters = filters or Filters()
    index = catalogue_index(province)
    groups, corrections, ignored = expand_query(province, query) if query.strip() else ([], {}, [])
    if query.strip() and not groups:
        return SearchResult([], 0, 1, per_page, corrections, ignored)

    if not groups:
        found = [card for card in by_popularity(province) if _passes(card, filters, index)]
        return _page_of(found, page, per_page, corrections, ignored)

    matched: set[int] = set()
    for position, alternatives in enumerate(groups):
        ids: set[int] = set()
        for word in alternatives:
            ids |= index.by_word.get(word, frozenset())
        matched = ids if position == 0 else matched & ids
    found = [index.cards[i] for i in matched if _passes(index.cards[i], filters, index)]

    phrase = " " + " ".join(group[0] for group in groups) if len(groups) > 1 else None
    counts = filing_counts(province)

    def rank(card: Card):
        score = 0
        for alternatives in groups:
            score += 3 if not card.name_words.isdisjoint(alternatives) else 1
        if phrase and phrase in card.search_name:
            score += 10
        return (-score, -counts.get(card.id, 0), not card.featured, card.search_name)

    found.sort(key=rank)
    return _page_of(found, page, per_page, corrections, ignored)


def _page_of(found: list[Card], page: int, per_page: int, corrections, ignored) -> SearchResult:
    total = len(found)
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    return SearchResult(found[(page - 1) * per_page : page * per_page], total, page, per_page, corrections, ignored)


def _passes(card: Card, filters: Filters, index: CatalogueIndex) -> bool:
    if filters.sector_id and card.sector_id != filters.sector_id:
        return False
    if filters.online_level and card.online_level != filters.online_level:
        return False
    return not (filters.agency_id and filters.agency_id not in index.agencies_of.get(card.id, ()))


def most_used(province: Province, limit: int = 8) -> list[Card]:
    """The procedures filed most often; the pack's featured ones lead until filings accumulate."""
    return by_popularity(province)[:limit]
