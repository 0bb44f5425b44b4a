"""The demo's local mailbox: messages that no outside server carried, readable in the browser."""

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from onestop.extensions import db
from onestop.notifications.models import OutboxMessage

bp = Blueprint("notifications", __name__)


@bp.get("/dev/mailbox")
def mailbox():
    if not current_app.config["DEV_MAILBOX"]:
        abort(404)
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)).all()
    return render_template("notifications/mailbox.html", messages=messages)
