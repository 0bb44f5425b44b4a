"""`flask --app wsgi dashboards rebuild [--from DATE]` and `dashboards aggregate --day DATE`."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from onestop.extensions import db

dashboards_cli = AppGroup("dashboards", help="The service index and operational figures.")


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("Give the day as YYYY-MM-DD, for example 2026-12-01."), param_hint=option) from None


@dashboards_cli.command("rebuild")
@click.option("--from", "since", default=None, help="First day to rebuild (YYYY-MM-DD); default: from scratch.")
def rebuild_command(since: str | None) -> None:
    """Rebuild the figures day by day: from scratch, or from a day on (each day replaced, never added to)."""
    from onestop.dashboards.aggregate import rebuild
    from onestop.provinces.services import served_province

    reports = rebuild(served_province(), _day(since, "--from"))
    db.session.commit()
    files = sum(report.facts for report in reports)
    click.echo(_("%(days)d days rebuilt, %(files)d file facts written.", days=len(reports), files=files))


@dashboards_cli.command("aggregate")
@click.option("--day", "day", required=True, help="The day to aggregate again (YYYY-MM-DD).")
def aggregate_command(day: str) -> None:
    """Aggregate one day again (what the nightly job does for yesterday)."""
    from onestop.dashboards.aggregate import aggregate_day
    from onestop.provinces.services import served_province

    report = aggregate_day(served_province(), _day(day, "--day"))
    db.session.commit()
    click.echo(_("%(files)d file facts written for %(day)s.", files=report.facts, day=report.day.isoformat()))
