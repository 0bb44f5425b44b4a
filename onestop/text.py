"""Text folding for search: Vietnamese without diacritics, case or punctuation."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """'Cấp Phiếu lý lịch tư pháp' -> 'cap phieu ly lich tu phap'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.lower()).strip()


def words(text: str) -> list[str]:
    return fold(text).split()
