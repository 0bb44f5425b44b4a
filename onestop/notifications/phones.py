"""Vietnamese mobile numbers: read them however people type them, and say plainly why one is not usable.

Since the 2018 renumbering every Vietnamese mobile number has 10 digits nationally (0 + a 2-digit network
prefix + 7 digits), which is +84 followed by 9 digits internationally. Accounts keep the national form
(`0912345678`, what people read on their SIM card and type to sign in); SMS providers are given E.164
(`+84912345678`). Pure functions: the forms turn a `PhoneProblem` into a translated message.
"""

import enum
import re


class PhoneProblem(enum.StrEnum):
    EMPTY = "empty"
    CHARACTERS = "characters"  # letters or symbols other than spaces, dots, dashes, brackets and a leading +
    FOREIGN = "foreign"  # an international number of another country
    LENGTH = "length"  # not 10 digits nationally
    NOT_MOBILE = "not_mobile"  # 10 digits, but no mobile network's prefix (a landline or an unused range)


# Network prefixes (the digits after the leading 0) allocated to mobile networks after the 2018 renumbering:
# Viettel 032-039, 086, 096-098; VinaPhone 081-085, 088, 091, 094; MobiFone 070, 076-079, 089, 090, 093;
# Vietnamobile 052, 056, 058, 092; Gmobile 059, 099; Itel 087; Reddi 055.
MOBILE_PREFIXES = frozenset(
    [f"3{d}" for d in "23456789"]
    + ["52", "55", "56", "58", "59"]
    + ["70", "76", "77", "78", "79"]
    + [f"8{d}" for d in "123456789"]
    + ["90", "91", "92", "93", "94", "96", "97", "98", "99"]
)

# What people put between digits: spaces (also non-breaking), dots, dashes, slashes and brackets.
_SEPARATORS = re.compile(r"[\s.\-/()\u00a0]")


class InvalidPhone(ValueError):
    def __init__(self, problem: PhoneProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _national_digits(text: str) -> str:
    """The national significant number (9 digits for a mobile), or raise InvalidPhone."""
    compact = _SEPARATORS.sub("", text or "")
    if not compact:
        raise InvalidPhone(PhoneProblem.EMPTY)
    has_plus = compact.startswith("+")
    digits = compact[1:] if has_plus else compact
    if not digits.isascii() or not digits.isdigit():
        raise InvalidPhone(PhoneProblem.CHARACTERS)
    if digits.startswith("0084"):
        return digits[4:]
    if has_plus:
        if not digits.startswith("84"):
            raise InvalidPhone(PhoneProblem.FOREIGN)
        return digits[2:]
    if digits.startswith("84") and len(digits) == 11:
        return digits[2:]
    if digits.startswith("0"):
        return digits[1:]
    raise InvalidPhone(PhoneProblem.LENGTH)


def to_e164(text: str) -> str:
    """`0912 345 678`, `84912345678`, `+84 912-345-678`, `(+84)912345678` → `+84912345678`; InvalidPhone otherwise."""
    national = _national_digits(text)
    # A 0 typed after +84 ("+84 0912...") is a common slip that every network forgives.
    if len(national) == 10 and national.startswith("0"):
        national = national[1:]
    if len(national) != 9:
        raise InvalidPhone(PhoneProblem.LENGTH)
    if national[:2] not in MOBILE_PREFIXES:
        raise InvalidPhone(PhoneProblem.NOT_MOBILE)
    return f"+84{national}"


def to_national(text: str) -> str:
    """The 10-digit national form accounts store (`0912345678`); InvalidPhone when it is not a mobile number."""
    return "0" + to_e164(text)[3:]


def problem_with(text: str) -> PhoneProblem | None:
    """Why `text` is not a Vietnamese mobile number, or None when it is one."""
    try:
        to_e164(text)
    except InvalidPhone as invalid:
        return invalid.problem
    return None
