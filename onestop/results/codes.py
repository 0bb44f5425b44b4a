"""The short code printed on every signed document, and where it leads.

Ten characters from an alphabet without look-alikes (no 0/O, 1/I/L), grouped for reading aloud:
`7KQ4-MX29-HP`. Random, so that codes cannot be guessed in sequence; unique in the table.
"""

from __future__ import annotations

import secrets

import segno

from onestop.links import public_link

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(typed: str) -> str | None:
    """What a person typed (any case, with spaces, dashes or none) as stored; None if it cannot be one."""
    text = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def verification_url(code: str) -> str:
    return public_link("verify.by_code", code=code)


def qr_svg(code: str, scale: int = 3) -> str:
    """The QR code of the verification link, as an SVG string to place in a PDF or a page."""
    return segno.make(verification_url(code), error="m").svg_inline(scale=scale, border=2)
