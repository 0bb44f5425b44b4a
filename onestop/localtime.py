"""The one notion of "now" and "today": the province's wall clock, whatever zone the server runs in.

A server on UTC that asked `date.today()` refused a child born today between 00:00 and 07:00
Vietnam time, and due dates, slips and exports each named the zone again. Everything that needs a
local moment asks here: `now(province)` and `today(province)` for a province at hand, or without an
argument for the province this installation serves.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from onestop.models import utcnow

# The zone of a province that names none, and of the installation before any pack is loaded.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def zone(province=None) -> ZoneInfo:
    """The province's time zone; without one, the served province's (or the configured default)."""
    if province is None:
        province = _served_province()
    name = getattr(province, "timezone", None) or _configured_zone()
    return ZoneInfo(name)


def now(province=None, moment: datetime | None = None) -> datetime:
    """The present moment (or `moment`, a UTC-aware datetime) on the province's wall clock."""
    return (moment or utcnow()).astimezone(zone(province))


def today(province=None, moment: datetime | None = None) -> date:
    return now(province, moment).date()


def _configured_zone() -> str:
    if has_app_context():
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE
    return DEFAULT_TIMEZONE


def _served_province():
    if not has_app_context():
        return None
    from onestop.errors import NotFound
    from onestop.portal.context import current_province

    try:
        return current_province()
    except NotFound:  # no pack loaded yet: the configured zone
        return None
