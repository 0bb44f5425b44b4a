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


def unaccent(text: str) -> str:
    """'Hồ sơ đã được tiếp nhận' -> 'Ho so da duoc tiep nhan': case and punctuation kept (SMS in GSM-7)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
