"""`flask --app wsgi signing ...`: enrol signers with the signing service, revoke them, set up the demo PKI.

The portal holds no key: `enrol` asks the signing service (SIGNING_CSC_URL) to make one and, with the demo CA,
to have it certified; the TOTP secret's provisioning URI is shown once here, as text and as a QR code.
"""

from __future__ import annotations

import click
import segno
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from onestop.extensions import db
from onestop.signing.client import SigningFailed, call_service_sync, settings_from_config

signing_cli = AppGroup("signing", help="Signers, certificates and the demo PKI.")


def _vi(names: dict | None) -> str:
    names = names or {}
    return names.get("vi") or next(iter(names.values()), "")


def _find_user(who: str):
    from onestop.accounts.models import User

    query = select(User).where(User.email == who.strip().lower())
    if who.isdigit():
        query = select(User).where(User.id == int(who))
    return db.session.scalar(query)


def _settings():
    config = dict(current_app.config)
    config.setdefault("SIGNING_TSA_URL", "")
    return settings_from_config({**config, "SIGNING_TRUST_ROOTS": ""})


@signing_cli.command("enrol")
@click.argument("who")
@click.option("--otp", type=click.Choice(["totp", "oob"]), default="totp", show_default=True, help="How codes come.")
@click.option("--seal", is_flag=True, help="WHO is an agency code: enrol the agency's seal, not a person.")
def enrol(who: str, otp: str, seal: bool) -> None:
    """Give a staff member or citizen (e-mail or id), or with --seal an agency, a key and certificate."""
    from onestop.accounts.models import Role
    from onestop.provinces.models import Agency

    if seal:
        agency = db.session.scalar(select(Agency).where(Agency.code == who))
        if agency is None:
            raise click.ClickException(_("No agency has the code %(code)s.", code=who))
        user_id, name, agency_code = f"seal:{agency.code}", _vi(agency.name), agency.code
        province = agency.province
        otp = "oob"  # a seal is used by the slip-sealing task, which asks for each code itself (results/seal.py)
    else:
        user = _find_user(who)
        if user is None:
            raise click.ClickException(_("No account matches %(who)s.", who=who))
        # A citizen signs for themselves: no agency, and no organisation in the certificate.
        is_citizen = user.role == Role.CITIZEN
        agency = None if is_citizen else user.agency
        user_id, name = f"{'citizen' if is_citizen else 'staff'}:{user.id}", user.full_name
        agency_code = agency.code if agency else ""
        province = user.province
    body = {
        "userID": user_id,
        "agency": agency_code,
        "description": name,
        "commonName": name,
        "organization": _vi(agency.name) if agency else "",
        "locality": _vi(province.name) if province else "",
        "otp": otp,
    }
    try:
        answer = call_service_sync(_settings(), "admin/v1/credentials", body)
    except SigningFailed as failure:
        raise click.ClickException(_("The signing service refused: %(code)s", code=failure.code)) from None
    click.echo(_("Credential %(id)s created for %(name)s.", id=answer["credentialID"], name=name))
    if not answer.get("certificate"):
        click.echo(_("It has no certificate yet: install one issued by your CA (docs/operations.md, Signing)."))
    if answer.get("totpURI"):
        click.echo(_("Scan this once in the signer's authenticator app; it is not shown again:"))
        segno.make(answer["totpURI"], error="m").terminal(compact=True)
        click.echo(answer["totpURI"])


@signing_cli.command("revoke")
@click.argument("credential_id")
def revoke(credential_id: str) -> None:
    """Stop a credential at once (and, with the demo CA, revoke its certificate there)."""
    try:
        call_service_sync(_settings(), "admin/v1/credentials/revoke", {"credentialID": credential_id})
    except SigningFailed as failure:
        raise click.ClickException(_("The signing service refused: %(code)s", code=failure.code)) from None
    click.echo(_("Credential %(id)s revoked.", id=credential_id))


@signing_cli.command("demo-pki")
@click.argument("root_path", type=click.Path(dir_okay=False))
def demo_pki(root_path: str) -> None:
    """Make the demo PKI's keys if needed and write its root certificate (SIGNING_TRUST_ROOTS) to ROOT_PATH."""
    from pathlib import Path

    from onestop.signing.pki import demo_pki_from_env

    Path(root_path).parent.mkdir(parents=True, exist_ok=True)
    Path(root_path).write_bytes(demo_pki_from_env().root_certificate_pem())
    click.echo(_("Demo root certificate written to %(path)s.", path=root_path))
