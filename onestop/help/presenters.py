"""What a help result shows: which part of which page, and a snippet with the found words marked.

Templates ask these functions; they never look at a passage's kind themselves.
"""

import re

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from onestop.help.search import Hit, Passage
from onestop.i18n import localized
from onestop.text import fold

_TOKEN = re.compile(r"\w+")
SNIPPET_WORDS = 36


def part_label(passage: Passage) -> str:
    """The part of the procedure page a result leads to, in words."""
    if passage.kind == "step":
        return _("Step %(number)d of how it works", number=passage.number)
    if passage.kind == "faq":
        return _("Frequent question")
    if passage.kind == "answer":
        return _("Question answered by the agency")
    if passage.kind == "document":
        return _("Documents to prepare")
    if passage.kind == "fee":
        return _("Fee")
    if passage.kind == "result":
        return _("What you receive")
    return _("About this procedure")


def link_for(passage: Passage) -> str:
    return url_for("procedures.procedure", slug=passage.slug, _anchor=passage.anchor)


def target_of(passage: Passage) -> str:
    """How a vote names the part it is about: the page and its anchor."""
    return f"{passage.slug}#{passage.anchor}"


def _marked(folded: list[str], terms: frozenset[tuple[str, ...]]) -> list[bool]:
    """Which tokens to mark: a searched word, or every word of a searched phrase found in sequence."""
    marked = [False] * len(folded)
    for phrase in terms:
        size = len(phrase)
        for start in range(len(folded) - size + 1):
            if folded[start] == phrase[0] and tuple(folded[start : start + size]) == phrase:
                marked[start : start + size] = [True] * size
    return marked


def highlight(text: str, terms: frozenset[tuple[str, ...]], limit: int | None = SNIPPET_WORDS) -> Markup:
    """The text escaped, each searched word or phrase in <mark>, cut to a window of `limit` words
    around the first one found."""
    tokens = list(_TOKEN.finditer(text))
    marked = _marked([fold(token.group()) for token in tokens], terms)
    start, end = 0, len(text)
    if limit is not None and len(tokens) > limit:
        first = marked.index(True) if any(marked) else 0
        begin = max(0, first - limit // 3)
        finish = min(len(tokens), begin + limit)
        begin = max(0, finish - limit)
        start = tokens[begin].start() if begin else 0
        end = tokens[finish - 1].end() if finish < len(tokens) else len(text)
    pieces: list[str] = ["… " if start else ""]
    position = start
    for token, is_marked in zip(tokens, marked, strict=True):
        if token.start() < start or token.end() > end or not is_marked:
            continue
        pieces.append(str(escape(text[position : token.start()])))
        pieces.append(f"<mark>{escape(token.group())}</mark>")
        position = token.end()
    pieces.append(str(escape(text[position:end])))
    if end < len(text):
        pieces.append(" …")
    return Markup("".join(pieces))


def hit_heading(hit: Hit) -> Markup:
    """The result's link text: its question or document name, else the procedure's name."""
    title = hit.passage.title or hit.passage.procedure_name
    return highlight(localized(title), hit.terms, None)


def hit_context(hit: Hit) -> Markup:
    """Above the link: which procedure page and which part of it."""
    label = escape(part_label(hit.passage))
    if not hit.passage.title and hit.passage.kind == "summary":
        return Markup(label)
    return Markup(f"{hit_procedure(hit)} · {label}")


def hit_snippet(hit: Hit) -> Markup:
    return highlight(localized(hit.passage.text), hit.terms)


def hit_procedure(hit: Hit) -> Markup:
    return highlight(localized(hit.passage.procedure_name), hit.terms, None)
