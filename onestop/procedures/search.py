"""Catalogue search that forgives missing diacritics and one-letter typos.

Text is folded (no accents, lower case) when a pack loads. A query is folded the same way; each word
matches the start of a word in a procedure's text. A word that starts no word in the catalogue is
replaced by the catalogue words one edit away (a letter wrong, missing, extra or swapped), so
"ly lich tu phpa" still finds "lý lịch tư pháp". Words that match nothing at all are set aside and
shown to the user, rather than emptying the results.
"""

import bisect
import math
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import and_, case, func, literal, or_, select

from onestop.extensions import db
from onestop.procedures.models import Procedure, ProcedureAgency
from onestop.provinces.models import Province
from onestop.text import words

_MIN_TYPO_LENGTH = 3
# Words people type around what they look for ("thủ tục ... như thế nào") that name no procedure.
_FILLER_PHRASES = ("thu tuc", "hanh chinh", "nhu the nao", "the nao", "o dau", "bao nhieu")
_FILLER_WORDS = frozenset(
    ["toi", "muon", "can", "lam", "cach", "xin", "how", "do", "i", "to", "the", "a", "an", "of", "for", "procedure"]
)
_vocabularies: dict[tuple, tuple[frozenset[str], tuple[str, ...]]] = {}


@dataclass
class Filters:
    agency_id: int | None = None
    sector_id: int | None = None
    online_level: str | None = None


@dataclass
class SearchResult:
    procedures: list[Procedure]
    total: int
    page: int
    per_page: int
    corrections: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _vocabulary(province: Province) -> tuple[frozenset[str], tuple[str, ...]]:
    # loaded_at too: a database rebuilt from scratch can reuse an id and a revision number.
    key = (province.id, province.catalogue_revision, province.loaded_at)
    cached = _vocabularies.get(key)
    if cached is None:
        texts = db.session.scalars(
            select(Procedure.search_text).where(Procedure.province_id == province.id, Procedure.is_active)
        )
        vocabulary = frozenset(word for text in texts for word in text.split())
        cached = (vocabulary, tuple(sorted(vocabulary)))
        for old in [k for k in _vocabularies if k[0] == province.id]:
            del _vocabularies[old]
        _vocabularies[key] = cached
    return cached


def _starts_a_word(word: str, ordered: tuple[str, ...]) -> bool:
    index = bisect.bisect_left(ordered, word)
    return index < len(ordered) and ordered[index].startswith(word)


def expand_query(province: Province, query: str) -> tuple[list[list[str]], dict[str, list[str]], list[str]]:
    """Each query word becomes a group of alternatives; returns (groups, corrections, ignored words)."""
    vocabulary, ordered = _vocabulary(province)
    groups, corrections, ignored = [], {}, []
    text = f" {' '.join(words(query))} "
    for phrase in _FILLER_PHRASES:
        text = text.replace(f" {phrase} ", " ")
    for word in dict.fromkeys(text.split()):
        if word in _FILLER_WORDS and word not in vocabulary:
            continue
        if _starts_a_word(word, ordered):
            groups.append([word])
            continue
        near = []
        if len(word) >= _MIN_TYPO_LENGTH:
            near = [
                match
                for match, _distance, _index in process.extract(
                    word, vocabulary, scorer=OSA.distance, score_cutoff=1, limit=8
                )
            ]
        if near:
            groups.append(near)
            corrections[word] = sorted(near)
        else:
            ignored.append(word)
    return groups, corrections, ignored


def _like_any(column, alternatives: list[str]):
    return or_(*[column.like(f"% {_escape(word)}%", escape="\\") for word in alternatives])


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_procedures(
    province: Province, query: str = "", filters: Filters | None = None, page: int = 1, per_page: int = 20
) -> SearchResult:
    filters = filters or Filters()
    conditions = [Procedure.province_id == province.id, Procedure.is_active]
    if filters.sector_id:
        conditions.append(Procedure.sector_id == filters.sector_id)
    if filters.online_level:
        conditions.append(Procedure.online_level == filters.online_level)
    if filters.agency_id:
        conditions.append(
            Procedure.id.in_(select(ProcedureAgency.procedure_id).where(ProcedureAgency.agency_id == filters.agency_id))
        )

    groups, corrections, ignored = expand_query(province, query) if query.strip() else ([], {}, [])
    if query.strip() and not groups:
        return SearchResult([], 0, 1, per_page, corrections, ignored)

    score = literal(0)
    for alternatives in groups:
        conditions.append(_like_any(Procedure.search_text, alternatives))
        score = score + case((_like_any(Procedure.search_name, alternatives), 3), else_=1)
    if len(groups) > 1:
        phrase = " ".join(group[0] for group in groups)
        score = score + case((Procedure.search_name.like(f"% {_escape(phrase)}%", escape="\\"), 10), else_=0)

    where = and_(*conditions)
    total = db.session.scalar(select(func.count()).select_from(Procedure).where(where))
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = db.session.scalars(
        select(Procedure)
        .where(where)
        .order_by(score.desc(), Procedure.filing_count.desc(), Procedure.featured.desc(), Procedure.search_name)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return SearchResult(list(rows), total, page, per_page, corrections, ignored)


def most_used(province: Province, limit: int = 8) -> list[Procedure]:
    """The procedures filed most often; the pack's featured ones lead until filings accumulate."""
    return list(
        db.session.scalars(
            select(Procedure)
            .where(Procedure.province_id == province.id, Procedure.is_active)
            .order_by(Procedure.filing_count.desc(), Procedure.featured.desc(), Procedure.search_name)
            .limit(limit)
        )
    )
