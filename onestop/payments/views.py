"""Paying pages (the pay page, the gateway's return) and the gateway's server-to-server notification (IPN)."""

from urllib.parse import urlsplit

import click
from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask.cli import AppGroup
from flask_login import current_user, login_required

from onestop.extensions import csrf, db, limiter
from onestop.i18n import current_language
from onestop.payments import services
from onestop.payments.models import OrderState
from onestop.payments.panel import payment_moment_text, payment_panel
from onestop.procedures import filing
from onestop.procedures.signals import application_changed
from onestop.security import CONTENT_SECURITY_POLICY

bp = Blueprint("payments", __name__)


def _csp_allowing_gateway() -> str:
    """The page's policy, with the gateway's origin added to form-action: browsers also check the redirect."""
    pay_url = urlsplit(current_app.config["VNPAY_PAY_URL"])
    origin = f"{pay_url.scheme}://{pay_url.netloc}"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


@bp.route("/applications/<int:application_id>/pay", methods=["GET", "POST"])
@login_required
def pay(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    order = services.order_of(application)
    if order is None or order.state_enum is not OrderState.DUE:
        return redirect(url_for("filing.timeline", application_id=application.id))
    if request.method == "POST":
        url = services.start_payment(application, current_user, request.remote_addr or "", current_language())
        return redirect(url)
    response = current_app.make_response(
        render_template(
            "payments/pay.html",
            application=application,
            order=order,
            quote=services.quote_from_order(order),
            last_attempt=order.attempts[-1] if order.attempts else None,
        )
    )
    response.headers["Content-Security-Policy"] = _csp_allowing_gateway()
    return response


@bp.get("/payments/vnpay/ipn")
@limiter.exempt
@csrf.exempt
def vnpay_ipn():
    gateway = services.provider()
    try:
        answer = services.handle_notification(gateway, request.args.to_dict(), request.remote_addr or "")
    except Exception:
        # Nothing half-done is kept; the gateway is told to try again later (RspCode 99).
        db.session.rollback()
        current_app.logger.exception("IPN failed: %s", request.query_string[:500])
        answer = services.IpnAnswer.UNKNOWN_ERROR
    body, status = gateway.answer(answer)
    return jsonify(body), status


@bp.get("/payments/vnpay/return")
@login_required
def vnpay_return():
    check = services.check_return(current_user, request.args.to_dict())
    attempt = check.attempt
    status = 200 if attempt is not None else 400
    return (
        render_template(
            "payments/return.html",
            check=check,
            attempt=attempt,
            application=attempt.order.application if attempt else None,
        ),
        status,
    )


payments_cli = AppGroup("payments", help="Payments: reconciliation with the gateway.")


@payments_cli.command("reconcile")
@click.option("--date", "day", default=None, help="The day to check, YYYY-MM-DD (Vietnam time); default yesterday.")
def reconcile_command(day: str | None) -> None:
    """Compare a day's payments and refunds at the gateway (querydr) with the ledger; list every difference."""
    from datetime import date

    from onestop.payments.reconciliation import reconcile_day, yesterday

    try:
        chosen = date.fromisoformat(day) if day else yesterday()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    run = reconcile_day(chosen)
    db.session.commit()
    click.echo(f"{chosen.isoformat()}: {run.checked} payment(s) checked, {len(run.differences)} difference(s).")
    for difference in run.differences:
        click.echo(
            f"  {difference['kind']}: {difference['reference']} ours={difference['ours']} "
            f"gateway={difference['gateway']}"
        )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(payments_cli)
    app.jinja_env.globals["payment_panel"] = payment_panel
    app.jinja_env.globals["payment_moment_text"] = payment_moment_text
    app.jinja_env.globals["fee_quote_for"] = services.quote_for
    # weak=False: the receiver is a module function, but be explicit that it lives as long as the process.
    application_changed.connect(services.on_application_changed, weak=False)
