"""Command-line entry points: `flask --app wsgi province load PATH`, `demo accounts`, `audit verify`."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onestop.extensions import db

_KINDS = {
    "province": _l("province"),
    "agency": _l("agencies"),
    "calendar day": _l("calendar days"),
    "staff": _l("staff"),
    "sector": _l("fields"),
    "document type": _l("document types"),
    "procedure": _l("procedures"),
}

province_cli = AppGroup("province", help="Load and inspect province packs.")
demo_cli = AppGroup("demo", help="Demo data for trying onestop out.")


@province_cli.command("check")
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--dry-run", is_flag=True, help="Also file one synthetic application per procedure; nothing is written.")
@click.option("--on", "on", default="2026-12-01", show_default=True, help="The day the synthetic files arrive.")
def check_pack(path: str, dry_run: bool, on: str) -> None:
    """Validate a pack without loading it; with --dry-run, try each procedure's route, fees and slips."""
    from onestop.provinces.pack import PackInvalid, read_pack

    try:
        pack = read_pack(path)
    except PackInvalid as invalid:
        _print_problems(invalid)
        raise SystemExit(1) from None
    click.echo(
        _("%(code)s: the pack is valid (%(count)d procedures).", code=pack.province.code, count=len(pack.procedures))
    )
    if dry_run:
        _print_dry_run(pack, on)


def _print_dry_run(pack, on: str) -> None:
    from datetime import date

    from flask_babel import format_datetime

    from onestop.provinces.dryrun import dry_run

    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise click.BadParameter(_("Give the day as YYYY-MM-DD, for example 2026-12-01."), param_hint="--on") from None
    failed = False
    # Slips carry a QR code to the status page: links are built as the portal would build them.
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        reports = dry_run(pack, day)
    for report in reports:
        click.echo("")
        click.echo(f"{report.code} {report.name}")
        if report.problems:
            failed = True
            for problem in report.problems:
                click.echo("  " + _("PROBLEM: %(problem)s", problem=problem))
            continue
        click.echo("  " + _("Received by: %(agency)s", agency=report.receiving_agency))
        for step in report.steps:
            due = format_datetime(step.due_at, "dd/MM/yyyy HH:mm") if step.due_at else _("with the result")
            click.echo(f"  - {step.step} ({step.stage}): {step.agency}, {step.role}; " + _("due %(due)s", due=due))
        if report.due_on:
            click.echo("  " + _("Result due: %(day)s", day=f"{report.due_on:%d/%m/%Y}"))
        if report.fee is not None:
            click.echo(
                "  " + _("Fee for the default answers: %(amount)s", amount=f"{report.fee:,} đ".replace(",", "."))
            )
        click.echo("  " + _("Slips: %(slips)s", slips=", ".join(report.slips)))
    if failed:
        raise SystemExit(1)


@province_cli.command("load")
@click.argument("path", type=click.Path(file_okay=False))
def load_pack(path: str) -> None:
    """Validate a whole pack, then load it in one transaction."""
    from onestop.provinces.pack import PackInvalid, read_pack
    from onestop.provinces.services import apply_pack

    try:
        report = apply_pack(read_pack(path))
    except PackInvalid as invalid:
        db.session.rollback()
        _print_problems(invalid)
        click.echo(_("Nothing was loaded."), err=True)
        raise SystemExit(1) from None
    db.session.commit()
    if not report.changed:
        click.echo(_("%(code)s: no changes.", code=report.province))
        return
    click.echo(_("%(code)s: loaded.", code=report.province))
    for label, bucket in (
        (_("created"), report.created),
        (_("updated"), report.updated),
        (_("deactivated"), report.deactivated),
        (_("removed"), report.removed),
    ):
        if bucket:
            counts = (f"{count} {_KINDS.get(kind, kind)}" for kind, count in sorted(bucket.items()))
            click.echo(f"  {label}: " + ", ".join(counts))


@province_cli.command("list")
def list_provinces() -> None:
    """List the provinces loaded in this database."""
    from onestop.provinces.models import Province

    for province in db.session.scalars(select(Province).order_by(Province.code)):
        click.echo(f"{province.code}\t{province.display_name()}\tcatalogue revision {province.catalogue_revision}")


def _print_problems(invalid) -> None:
    click.echo(_("The pack has %(count)d problem(s):", count=len(invalid.problems)), err=True)
    for problem in invalid.problems:
        click.echo(f"  {problem}", err=True)


@demo_cli.command("accounts")
@click.option("--province", "province_code", default=None, help="Province code (default: the served province).")
@click.option("--password", default="demo1234", show_default=True)
def demo_accounts(province_code: str | None, password: str) -> None:
    """Give one staff member of each role a known password, create a demo citizen, print the logins."""
    from onestop.accounts.services import ensure_demo_accounts
    from onestop.provinces.services import served_province

    province = served_province(province_code)
    accounts = ensure_demo_accounts(province, password)
    db.session.commit()
    click.echo("")
    click.echo(f"Demo accounts for {province.display_name()} (password: {password})")
    width = max(len(user.email or user.phone) for user in accounts)
    for user in accounts:
        login = user.email or user.phone
        agency = user.agency.display_name() if user.agency else ""
        click.echo(f"  {user.role_enum.title:<24} {login:<{width}} {user.full_name} {agency}")


office_cli = AppGroup("office", help="Back-office jobs.")


@office_cli.command("remind")
def office_remind() -> None:
    """E-mail each agency's leaders the files overdue or due by the next working day (once a day)."""
    from onestop.office.reminders import remind_deadlines

    click.echo(_("%(count)d reminders queued.", count=remind_deadlines()))


def register(app: Flask) -> None:
    from onestop.audit.cli import audit_cli
    from onestop.dashboards.cli import dashboards_cli
    from onestop.signing.cli import signing_cli
    from onestop.surveys.cli import surveys_cli

    app.cli.add_command(office_cli)

    app.cli.add_command(province_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(signing_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(dashboards_cli)
    app.cli.add_command(surveys_cli)
