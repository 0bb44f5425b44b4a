"""Back-office pages: the agency's queues, an application's file, and the forms of each action.

Views parse the form, call one service of onestop/procedures/workflow.py and redirect; the services
check who may do what. A refused or invalid action re-renders the file with the message and what the
officer typed, and nothing is changed.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import load_only
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from onestop import localtime
from onestop.errors import Conflict, InvalidInput, NotAllowed
from onestop.extensions import db
from onestop.inputs import iso_day, row_id
from onestop.office import queues
from onestop.procedures import clock, workflow
from onestop.procedures.filing_views import answer_summary, document_types_of
from onestop.procedures.models import Application, Procedure
from onestop.procedures.workflow import Action, SupplementItem
from onestop.procedures.workflow.panel import panel_for
from onestop.procedures.workflow.present import MARK_TITLES

bp = Blueprint("office", __name__, url_prefix="/office")


@bp.before_request
def _staff_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_staff or current_user.agency_id is None:
        abort(403)
    return None


bp.add_app_template_global(workflow.staff_state_title, "staff_state_title")
bp.add_app_template_global(workflow.supplement_items, "supplement_items")


@bp.app_template_global()
def may_file_at_counter(user) -> bool:
    from onestop.procedures.filing import may_file_at_counter as rule

    return rule(user)


def _enum(kind, value, default):
    try:
        return kind(value)
    except ValueError:
        return default


@bp.get("/applications")
@login_required
def queue():
    tab = _enum(queues.Tab, request.args.get("tab", ""), queues.default_tab(current_user))
    procedure_id = request.args.get("procedure", type=row_id)
    query = queues.QueueQuery(
        tab=tab,
        sort=_enum(queues.Sort, request.args.get("sort", ""), queues.Sort.SUBMITTED),
        procedure_id=procedure_id,
        due=_enum(queues.DueWithin, request.args.get("due", ""), queues.DueWithin.ANY),
        after=request.args.get("after") or None,
    )
    calendar = clock.ProvinceCalendar.for_province(current_user.agency.province)
    today = clock.local_today(calendar)
    searched = request.args.get("q", "").strip()
    if searched:
        rows, next_cursor = queues.find(current_user, searched), None
    else:
        rows, next_cursor = queues.queue_page(current_user, query, today)
    procedures = db.session.scalars(
        db.select(Procedure)
        .where(Procedure.province_id == current_user.agency.province_id, Procedure.is_active.is_(True))
        .order_by(Procedure.code)
        .options(load_only(Procedure.code, Procedure.name))  # not every procedure's definition, for a menu
    ).all()
    return render_template(
        "office/queue.html",
        query=query,
        rows=rows,
        next_cursor=next_cursor,
        tabs=list(queues.Tab),
        procedures=procedures,
        countdowns=queues.countdowns(current_user, rows, calendar, today),
        searched=searched,
        today=today,
    )


def _file(application: Application, error: str | None = None, status: int = 200, form: dict | None = None):
    calendar = clock.calendar_for(application)
    return (
        render_template(
            "office/application.html",
            application=application,
            summary=answer_summary(application) if application.definition.get("form") else [],
            types=document_types_of(application),
            panel=panel_for(current_user, application),
            clock_state=clock.compute(application, calendar),
            countdown=clock.countdown(application, calendar),
            agencies=workflow.transfer_targets(application),
            choices=workflow.supplement_choices(application),
            error=error,
            form=form or {},
            Action=Action,
            slip_titles=workflow.SLIP_TITLES,
            mark_titles=MARK_TITLES,
            event_title=workflow.event_title,
            event_reason=workflow.event_reason,
            message_authors=workflow.message_authors(application),
            message_action=url_for("office.message", application_id=application.id),
            attachment_url=lambda message: url_for(
                "warehouse.office_document", document_id=message.document_id, application=application.id
            ),
        ),
        status,
    )


@bp.get("/applications/<int:application_id>")
@login_required
def application(application_id: int):
    return _file(workflow.get_for_staff(current_user, application_id))[0]


def _upload(field: str):
    from onestop.datastore.uploads import receive_with_settings

    file = request.files.get(field)
    if file is None or not file.filename:
        return None
    return receive_with_settings(file.stream, file.filename, current_app.config)


def _items(form) -> list[SupplementItem]:
    items = []
    # A note typed for a document asks for it even if its box was left unticked: nothing typed is lost.
    noted = [key.removeprefix("note-") for key, value in form.items() if key.startswith("note-") and value.strip()]
    for code in dict.fromkeys(form.getlist("document") + noted):
        items.append(SupplementItem("document", code, "", form.get(f"note-{code}", "")))
    if form.get("other", "").strip():
        items.append(SupplementItem("other", "", "", form.get("other", "")))
    return items


def _run(application: Application, action: Action):
    form = request.form
    version = form.get("version", type=row_id)
    match action:
        case Action.ACCEPT:
            workflow.accept(application, current_user, version)
            return _("Accepted. The receipt and appointment slip was issued.")
        case Action.REQUEST_SUPPLEMENT:
            workflow.request_supplement(application, current_user, _items(form), version)
            return _("The citizen was asked for the missing items.")
        case Action.REFUSE:
            workflow.refuse(application, current_user, form.get("reason", ""), version)
            return _("Refused. The refusal slip was issued.")
        case Action.TRANSFER:
            workflow.transfer(
                application, current_user, form.get("agency", type=row_id) or 0, form.get("note", ""), version
            )
            return _("The file was sent to the other agency.")
        case Action.ASSIGN:
            workflow.assign(application, current_user, form.get("specialist", type=row_id) or 0, version)
            return _("Assigned.")
        case Action.PROPOSE:
            workflow.propose(application, current_user, form.get("decision", ""), form.get("note", ""), version)
            return _("Your proposal was sent to the leader.")
        case Action.SEND_BACK:
            workflow.send_back(application, current_user, form.get("comment", ""), version, form.get("step") or None)
            return _("Sent back to the specialist.")
        case Action.ANSWER:
            workflow.answer(
                application, current_user, form.get("opinion", ""), form.get("note", ""), _upload("attachment"), version
            )
            return _("Your agency's opinion was sent to the lead agency.")
        case Action.DELIVER:
            from onestop.results.handover import by_post, hand_over

            hand_over(application, current_user, form.get("tracking_number", ""), version)
            return (
                _("Recorded as posted. The citizen was told.")
                if by_post(application)
                else _("Recorded as handed over. The citizen was told.")
            )
        case Action.APOLOGISE:
            try:
                new_due = iso_day(form.get("new_due_on"))
            except ValueError:
                new_due = None
            workflow.apologise(application, current_user, new_due, form.get("reason", ""), version)
            return _("The apology slip with the new date was issued.")
    abort(404)


@bp.post("/applications/<int:application_id>/<action>")
@login_required
def act(application_id: int, action: str):
    try:
        chosen = Action(action.replace("-", "_"))
    except ValueError:
        abort(404)
    if chosen in (Action.SUBMIT, Action.WITHDRAW, Action.ANSWER_SUPPLEMENT):
        abort(404)
    application = workflow.get_for_staff(current_user, application_id)
    if chosen is Action.APPROVE:
        # Approval is the signing, on its own page: an old form or bookmark approves nothing, it leads there.
        return redirect(url_for("results.sign", application_id=application.id), 303)
    typed = request.form.to_dict(flat=True)
    try:
        message = _run(application, chosen)
    except (InvalidInput, Conflict, NotAllowed) as error:
        db.session.rollback()
        application = workflow.get_for_staff(current_user, application_id)
        return _file(application, error.message, error.status_code, typed)
    except StaleDataError:
        db.session.rollback()
        application = workflow.get_for_staff(current_user, application_id)
        message = _("Someone else changed this application at the same moment. Check its new state and try again.")
        return _file(application, message, 409, typed)
    except RequestEntityTooLarge:
        db.session.rollback()
        return _file(application, _("The file is too large."), 413, typed)
    flash(message)
    return redirect(url_for("office.application", application_id=application.id))


@bp.post("/applications/<int:application_id>/messages")
@login_required
def message(application_id: int):
    application = workflow.get_for_staff(current_user, application_id)
    try:
        workflow.post_message(application, current_user, request.form.get("body", ""), _upload("attachment"))
    except InvalidInput as error:  # UploadRejected included
        db.session.rollback()
        application = workflow.get_for_staff(current_user, application_id)
        return _file(application, error.message, 422, request.form.to_dict(flat=True))
    flash(_("Message sent."))
    return redirect(url_for("office.application", application_id=application.id) + "#messages")


# --- Counter intake: a clerk files for a walk-in citizen -------------------------------------------------


@bp.route("/counter", methods=["GET", "POST"])
@login_required
def counter():
    """Find or create the walk-in citizen's account, then file on the usual pages on their behalf."""
    from onestop.accounts.services import AccountError, walk_in_citizen
    from onestop.procedures import filing
    from onestop.procedures.services import procedures_received_at

    procedures = procedures_received_at(current_user.agency)
    form = request.form.to_dict(flat=True) if request.method == "POST" else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        procedure = next((p for p in procedures if p.id == request.form.get("procedure", type=row_id)), None)
        if procedure is None:
            errors["procedure"] = _("Choose the procedure.")
        try:
            citizen = walk_in_citizen(form.get("citizen_id", ""), form.get("full_name", ""), form.get("phone", ""))
        except AccountError as problem:
            errors[problem.field or "citizen_id"] = problem.message
        if not errors:
            application = filing.start_counter_application(procedure, current_user, citizen)
            step_id = filing.next_step_id(application)
            flash(_("Filing for %(name)s. Scan their papers on the documents page.", name=citizen.full_name))
            if step_id is None:
                return redirect(url_for("filing.review", application_id=application.id))
            return redirect(url_for("filing.step", application_id=application.id, step_id=step_id))
    return render_template("office/counter.html", procedures=procedures, form=form, errors=errors), (
        422 if errors else 200
    )


# --- Slips and the tracking book ---------------------------------------------------------------------------


def pdf_response(content: bytes, filename: str):
    from flask import Response

    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


def issued_slip_pdf(application: Application, slip_id: int):
    from onestop.office import slips as slip_records
    from onestop.results.seal import sealed_pdf
    from onestop.slips.render import render_pdf

    slip = next((slip for slip in application.slips if slip.id == slip_id), None)
    if slip is None:
        abort(404)
    content = sealed_pdf(slip) or render_pdf(slip_records.issued_slip(slip))  # the sealed file once there is one
    return pdf_response(content, f"{application.code}-{slip.kind}.pdf")


@bp.get("/applications/<int:application_id>/slips/<int:slip_id>.pdf")
@login_required
def slip(application_id: int, slip_id: int):
    return issued_slip_pdf(workflow.get_for_staff(current_user, application_id), slip_id)


@bp.get("/applications/<int:application_id>/control.pdf")
@login_required
def control(application_id: int):
    from onestop.office import slips as slip_records
    from onestop.slips.render import render_pdf

    application = workflow.get_for_staff(current_user, application_id)
    return pdf_response(render_pdf(slip_records.control_slip(application)), f"{application.code}-kiem-soat.pdf")


@bp.get("/tracking-book.xlsx")
@login_required
def tracking_book():
    """The agency's tracking book (Mẫu 06) for a period of acceptance days; this month by default."""
    from flask import Response

    from onestop.office import slips as slip_records
    from onestop.slips.book import tracking_book_xlsx

    agency = current_user.agency
    zone = localtime.zone(agency.province)
    today = clock.local_today(clock.ProvinceCalendar.for_province(agency.province))
    try:
        first = iso_day(request.args.get("from")) if request.args.get("from") else today.replace(day=1)
        last = iso_day(request.args.get("to")) if request.args.get("to") else today
    except ValueError:
        abort(400)
    if last < first or (last - first).days > 366:
        abort(400)
    rows = slip_records.book_rows(agency.id, first, last, zone)
    title = f"Sổ theo dõi hồ sơ — {agency.display_name()}"
    content = tracking_book_xlsx(rows, title, (first, last), timezone=str(zone))
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="so-theo-doi-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"'},
    )
