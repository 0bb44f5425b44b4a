"""`flask --app wsgi surveys rebuild-tallies [--survey ID]`: count the results' running tallies again."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from onestop.extensions import db

surveys_cli = AppGroup("surveys", help="Surveys and their results.")


@surveys_cli.command("rebuild-tallies")
@click.option("--survey", "survey_id", type=int, default=None, help="Only this survey (its id); default: every survey.")
def rebuild_tallies_command(survey_id: int | None) -> None:
    """Replace the per-day and per-month counts by a count of the submitted answers, in one transaction."""
    from onestop.surveys.tally import rebuild

    counted = rebuild(survey_id)
    db.session.commit()
    click.echo(_("%(count)d responses counted again.", count=counted))
