"""The dead-letter page: province administrators read undelivered messages and replay them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from onestop.inputs import row_id
from onestop.notifications import deadletters

bp = Blueprint("deadletters", __name__, url_prefix="/admin/dead-letters")
bp.add_app_template_global(deadletters.may_manage_dead_letters, "may_manage_dead_letters")


@bp.get("/")
@login_required
def index():
    return render_template("notifications/dead_letters.html", letters=deadletters.dead_letters(current_user))


def _chosen_ids() -> list[int]:
    """The one row whose button was pressed, or every row the page showed ("replay all shown")."""
    values = [request.form.get("message_id")] if request.form.get("message_id") else request.form.getlist("shown")
    ids = []
    for value in values:
        try:
            ids.append(row_id(value))
        except ValueError:
            continue  # a forged or garbled id names no row: nothing to replay for it
    return ids


@bp.post("/replay")
@login_required
def replay():
    count = deadletters.replay(current_user, _chosen_ids())
    if count:
        flash(ngettext("%(num)d message queued again.", "%(num)d messages queued again.", count), "success")
    else:
        flash(_("None of the chosen messages is waiting for a replay any more."), "info")
    return redirect(url_for("deadletters.index"))
