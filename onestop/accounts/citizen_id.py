"""The 12-digit personal identification number (số định danh cá nhân) printed on citizen ID cards.

Structure (Decree 137/2015/NĐ-CP, Circular 59/2021/TT-BCA): three digits for the province of birth
registration, one digit for century and sex, two digits for the year of birth, six random digits.
"""

from datetime import date

from onestop import localtime

# Province-of-birth codes in use since 2016 (63 provinces before the 2025 merger; numbers were kept).
PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)


def problem_with(number: str, today: date | None = None) -> str | None:
    """Return a short reason code if the number cannot be a citizen ID, else None."""
    if len(number) != 12 or not number.isdigit():
        return "format"
    if number[:3] not in PROVINCE_CODES:
        return "province"
    century = 1900 + 100 * (int(number[3]) // 2)
    year = century + int(number[4:6])
    if year > (today or localtime.today()).year:
        return "year"
    return None
