"""Turn an event's facts into the words of one channel and language.

Templates are Jinja, compiled in an immutable sandbox: a province admin who edits one can reach the
event's facts and a few filters, never a Python object's internals. A template is checked when it is
saved or loaded from a pack: it must compile and may name only the fields its event declares.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from sqlalchemy import select

from onestop.extensions import db
from onestop.i18n import localized
from onestop.notifications.events import Event
from onestop.notifications.models import Channel, NotificationTemplate
from onestop.text import unaccent

LANGUAGES = ("vi", "en")
# The portal inbox reads like the e-mail and an OTT message like the SMS, unless a province words them.
_FALLBACK = {Channel.INBOX: Channel.EMAIL, Channel.OTT: Channel.SMS}
SUBJECT_CHANNELS = frozenset({Channel.EMAIL, Channel.INBOX})
MAX_TEMPLATE_CHARS = 4000


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str
    unaccented: bool = False
    is_default: bool = True


@dataclass(frozen=True)
class TemplateProblem:
    line: int
    message: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def day_text(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return f"{value:%d/%m/%Y}" if isinstance(value, date) else ("" if value is None else str(value))


def _money_in(language: str):
    def money(value: Any) -> str:
        try:
            amount = int(value)
        except (TypeError, ValueError):
            return str(value)
        if language == "vi":
            return f"{amount:,}".replace(",", ".") + " đồng"
        return f"VND {amount:,}"

    return money


@cache
def _environment(language: str) -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
    environment.filters["day"] = day_text
    environment.filters["money"] = _money_in(language)
    return environment


@cache
def _defaults() -> dict:
    text = resources.files("onestop.notifications").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def default_wording(event: str, channel: Channel, language: str) -> Wording:
    shipped = _defaults()[event]
    channel = _FALLBACK.get(channel, channel)
    entry = shipped[channel.value][language]
    if isinstance(entry, str):
        return Wording("", entry)
    return Wording(entry["subject"], entry["body"])


class Wordings:
    """The province wordings of some events in one language, read in one query, then picked per channel with
    the same fallbacks as `wording`: notify renders one event on four channels, the inbox thirty notices."""

    def __init__(self, events: Iterable[str], language: str, province_ids: Iterable[int | None]):
        self.language = language
        province_ids = {province_id for province_id in province_ids if province_id is not None}
        rows = (
            db.session.scalars(
                select(NotificationTemplate).where(
                    NotificationTemplate.province_id.in_(province_ids),
                    NotificationTemplate.event.in_(set(events)),
                    NotificationTemplate.language == language,
                )
            )
            if province_ids
            else ()
        )
        self._found = {
            (row.province_id, row.event, row.channel): Wording(row.subject, row.body, row.unaccented, is_default=False)
            for row in rows
        }

    def __call__(self, event: str, channel: Channel, province_id: int | None) -> Wording:
        """The province's wording of this event on this channel, else the channel it falls back to, else ours."""
        for candidate in [channel] + ([_FALLBACK[channel]] if channel in _FALLBACK else []):
            found = self._found.get((province_id, event, candidate.value))
            if found is not None:
                return found
        return default_wording(event, channel, self.language)


def wording(event: str, channel: Channel, language: str, province_id: int | None) -> Wording:
    return Wordings([event], language, [province_id])(event, channel, province_id)


def check_template(event: Event, text: str) -> list[TemplateProblem]:
    """Problems with a template a person wrote, each with its line: syntax, or a field the event lacks."""
    from flask_babel import gettext as _

    if len(text) > MAX_TEMPLATE_CHARS:
        return [TemplateProblem(1, _("Keep a template under %(count)d characters.", count=MAX_TEMPLATE_CHARS))]
    try:
        tree = _environment("vi").parse(text)
    except TemplateSyntaxError as exc:
        return [TemplateProblem(exc.lineno or 1, _("This is not a valid template: %(detail)s", detail=exc.message))]
    problems = []
    assigned = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    known = event.allowed_fields | assigned | {"loop"}
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in known:
            fields = ", ".join(sorted(event.allowed_fields))
            message = _(
                "“%(name)s” is not a field of this message. The fields you can use are: %(fields)s.",
                name=node.name,
                fields=fields,
            )
            problems.append(TemplateProblem(node.lineno, message))
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            problems.append(TemplateProblem(node.lineno, _("Names starting with “_” cannot be used.")))
    return problems


def _in_language(value: Any, language: str) -> Any:
    """Pack texts ({vi, en}) become the recipient's language, all the way down lists and items."""
    if isinstance(value, dict):
        if value and set(value) <= set(LANGUAGES):
            return localized(value, language)
        return Namespace({key: _in_language(item, language) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return [_in_language(item, language) for item in value]
    return value


def render_text(text: str, facts: dict, language: str) -> str:
    context = {key: _in_language(value, language) for key, value in facts.items()}
    return _environment(language).from_string(text).render(context).strip()


def render(
    event: str,
    channel: Channel,
    language: str,
    facts: dict,
    chosen: Wording | None = None,
    strict: bool = False,
    province_id: int | None = None,
) -> Rendered:
    """The message as it goes out. A province template that fails at run time falls back to ours: a
    broken template must never stop a file from moving, nor leave the citizen untold."""
    chosen = chosen or wording(event, channel, language, province_id)
    try:
        subject = render_text(chosen.subject, facts, language) if channel in SUBJECT_CHANNELS else ""
        body = render_text(chosen.body, facts, language)
        if not body:
            raise ValueError("the message comes out empty")
    except (SecurityError, UndefinedError, TypeError, ValueError):
        if chosen.is_default or strict:
            raise
        return render(event, channel, language, facts, default_wording(event, channel, language))
    if channel in (Channel.SMS, Channel.OTT):
        body = " ".join(body.split())
        if chosen.unaccented:
            body = unaccent(body)
    return Rendered(" ".join(subject.split()), body)


# --- SMS cost ---------------------------------------------------------------------------------------

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsCost:
    characters: int
    segments: int
    encoding: str  # "GSM-7" or "UCS-2"
    per_segment: int


def sms_cost(text: str) -> SmsCost:
    """How many characters and billed segments a text takes: GSM-7 160 (153 when split), UCS-2 70 (67)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, split, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, split, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / split)
    return SmsCost(units, segments, encoding, single if segments == 1 else split)
