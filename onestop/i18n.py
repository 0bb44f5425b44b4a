"""Language choice and the helpers for text that comes from province packs.

Interface strings go through Flask-Babel. Text that a province writes in its pack (procedure names,
guidance, agency names) is stored as a mapping of language code to text, with Vietnamese required;
`localized()` picks the current language and falls back to Vietnamese.
"""

from flask import current_app, has_request_context, request
from flask_babel import get_locale

LANG_COOKIE = "lang"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if has_request_context():
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen in supported:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "vi"


def localized(value: dict | str | None, lang: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    lang = lang or current_language()
    return value.get(lang) or value.get("vi") or next(iter(value.values()), "")
