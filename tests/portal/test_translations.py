"""Vietnamese is the default language: every interface string in the code must have a translation."""

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import ROOT

METHODS = [("onestop/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_interface_string_has_a_vietnamese_translation():
    with open(ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id and "fuzzy" not in m.flags and (m.string[0] if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(_source_messages() - translated)
    assert not missing, "run `make extract-messages` and translate: " + "; ".join(missing[:10])
