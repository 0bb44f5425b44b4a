"""Reading what a browser or a gateway sends: row ids, whole numbers, dates, redirect targets, signatures.

Python is generous where a web form must not be: `int()` reads "١٢٣" (Arabic-Indic digits) and any
number of digits, `str.isdigit()` says yes to "²" which `int()` then refuses, `date()` overflows on a
20-digit year, `hmac.compare_digest` raises on a non-ASCII string, and a `next` parameter carrying
CR/LF breaks the Location header. Every view reads such input through these helpers, so that bad
input is refused the same way everywhere (a 404 for a URL, a message for a form), never a 500.
"""

import hmac
import re
from datetime import date

from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import BaseConverter, ValidationError

from onestop.datastore.uploads import UploadCappingRequest

# Every id column is a PostgreSQL `integer`: a larger number names no row and must not reach the database.
ROW_ID_MAX = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")
_YEAR = re.compile(r"[0-9]{4}")
# A path on this site: one leading slash, no backslash (browsers read "/\\host" as "//host"), no control
# characters (CR/LF would split the Location header).
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\x00-\x1f\x7f]*")


def whole_number(text: str | None, maximum: int) -> int:
    """A whole number of ASCII digits from 0 to `maximum`; ValueError for anything else.

    Usable as `request.args.get(name, type=...)` through `row_id`, which Werkzeug turns into the default.
    """
    text = (text or "").strip()
    if not _DIGITS.fullmatch(text) or len(text) > len(str(maximum)) or int(text) > maximum:
        raise ValueError(f"not a whole number from 0 to {maximum}")
    return int(text)


def row_id(text: str | None) -> int:
    """A database id from a query string or a form (`request.args.get("agency", type=row_id)`)."""
    return whole_number(text, ROW_ID_MAX)


class RowIdConverter(BaseConverter):
    """`<int:...>` in our URLs is always a row id: ASCII digits within the id column's range, else 404."""

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        try:
            return row_id(value)
        except ValueError:
            raise ValidationError() from None

    def to_url(self, value) -> str:
        return str(int(value))


class TextConverter(BaseConverter):
    """`<name>` in our URLs (a slug, a step, an action): any text without "/" or control characters, else 404."""

    regex = r"[^/\x00-\x1f\x7f]+"
    part_isolating = True


def date_from_parts(day: str | None, month: str | None, year: str | None) -> date:
    """The date typed in three boxes (day, month, a four-digit year); ValueError when it is not a real one."""
    day, month, year = ((part or "").strip() for part in (day, month, year))
    if not (_DIGITS.fullmatch(day) and _DIGITS.fullmatch(month) and _YEAR.fullmatch(year)):
        raise ValueError("not a date")
    if len(day) > 2 or len(month) > 2:
        raise ValueError("not a date")
    return date(int(year), int(month), int(day))


def iso_day(text: str | None) -> date:
    """A day written YYYY-MM-DD (a date box's value), within years the records can hold; ValueError otherwise."""
    value = date.fromisoformat((text or "").strip())
    if not 1900 <= value.year <= 2999:
        raise ValueError("a day outside the years the records hold")
    return value


def local_target(target: str | None, default: str) -> str:
    """Where to go after a sign-in or a language switch: a path on this site, else `default`."""
    if target and _LOCAL_PATH.fullmatch(target):
        return target
    return default


def same_secret(received: object, expected: str) -> bool:
    """Constant-time comparison of a secret or signature received with the expected one, whatever it holds."""
    return hmac.compare_digest(str(received or "").encode(), expected.encode())


def _without_nul(values: ImmutableMultiDict) -> ImmutableMultiDict:
    if not any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
        return values
    return ImmutableMultiDict(
        (key.replace("\x00", ""), value.replace("\x00", "")) for key, value in values.items(multi=True)
    )


class OnestopRequest(UploadCappingRequest):
    """Query and form values without NUL characters, which no one can type and PostgreSQL cannot store;
    every uploaded file cut one byte past its limit as it arrives (UploadCappingRequest).

    Dropped where the values are parsed (lazily, as before: an upload too large is still found by the
    view that reads the form), so that a form comes back with everything else typed kept.
    """

    @property
    def args(self) -> ImmutableMultiDict:
        if "_clean_args" not in self.__dict__:
            self.__dict__["_clean_args"] = _without_nul(super().args)
        return self.__dict__["_clean_args"]

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])
