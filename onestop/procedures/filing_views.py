"""The citizen's filing pages: one step per page, documents, check your answers, receipt, timeline."""

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from onestop.errors import InvalidInput, NotFound
from onestop.extensions import db, limiter
from onestop.i18n import localized
from onestop.inputs import row_id, whole_number
from onestop.portal.context import current_province
from onestop.procedures import filing, reference
from onestop.procedures.filling import (
    as_inputs,
    display_value,
    group_size,
    prefill_values,
    read_step,
    visible_fields,
    visible_steps,
)
from onestop.procedures.models import ApplicationState, DocumentType, ResultDelivery
from onestop.procedures.services import get_procedure

bp = Blueprint("filing", __name__)

_PIN = "receipt_pin"


def _known_facts(user) -> dict:
    return {
        "full_name": user.full_name,
        "citizen_id": user.citizen_id,
        "phone": user.phone,
        "email": user.email,
        **(user.facts or {}),
    }


def _steps_for(application) -> tuple[list, int]:
    steps = visible_steps(filing.form_of(application), application.answers)
    return steps, len(steps) + (2 if application.definition.get("documents") else 1)


def _after_step(application, step_id: str):
    if request.args.get("change"):
        return redirect(url_for("filing.review", application_id=application.id))
    following = filing.next_step_id(application)
    if following:
        return redirect(url_for("filing.step", application_id=application.id, step_id=following))
    if application.definition.get("documents"):
        return redirect(url_for("filing.documents", application_id=application.id))
    return redirect(url_for("filing.review", application_id=application.id))


@bp.post("/procedures/<slug>/apply")
@login_required
def start(slug: str):
    procedure = get_procedure(current_province(), slug)
    application = filing.start_application(procedure, current_user)
    step_id = filing.next_step_id(application)
    if step_id is None:
        return redirect(url_for("filing.review", application_id=application.id))
    return redirect(url_for("filing.step", application_id=application.id, step_id=step_id))


@bp.route("/applications/<int:application_id>/steps/<step_id>", methods=["GET", "POST"])
@login_required
def step(application_id: int, step_id: str):
    application = filing.get_own_application(current_user, application_id)
    if application.state_enum is not ApplicationState.DRAFT:
        return redirect(url_for("filing.timeline", application_id=application.id))
    steps, total = _steps_for(application)
    current = next((s for s in steps if s.id == step_id), None)
    if current is None:
        raise NotFound()
    units = current_province().address_units()
    if request.method == "POST":
        action = request.form.get("action", "continue")
        result = read_step(current, request.form, application.answers, {code for code, *_ in units}, date.today())
        sizes = dict(result.group_sizes)
        if action.startswith(("add:", "remove:")):
            # Adding or removing an item of a repeating group: keep everything typed, no checks yet.
            button = _group_button(action, sizes)
            raw = dict(result.raw)
            if button is None:  # not a button this page shows: the page again, everything typed kept
                return _render_step(application, current, steps, total, raw, {}, sizes, units, result.values), 400
            group, index = button
            if index is None:
                sizes[group] += 1
            else:
                raw, sizes[group] = _without_item(raw, group, index, sizes[group])
            return _render_step(application, current, steps, total, raw, {}, sizes, units, result.values)
        if result.errors:
            page = _render_step(
                application, current, steps, total, result.raw, result.errors, sizes, units, result.values
            )
            return page, 422
        if result.revealed:
            return _render_step(
                application, current, steps, total, result.raw, {}, sizes, units, result.values, revealed=True
            )
        filing.save_step(application, current_user, current.id, result)
        return _after_step(application, current.id)
    answers = {
        **prefill_values(current, application.answers, _known_facts(application.applicant)),
        **application.answers,
    }
    sizes = {spec.id: group_size(spec, None, application.answers) for spec in current.fields if spec.type == "group"}
    return _render_step(application, current, steps, total, as_inputs(current, answers), {}, sizes, units)


def _group_button(action: str, sizes: dict[str, int]) -> tuple[str, int | None] | None:
    """("group", None) for "add:group", ("group", 2) for "remove:group:2"; None when the page has no such button."""
    kind, _, rest = action.partition(":")
    group, _, position = rest.partition(":")
    if group not in sizes:
        return None
    if kind == "add" and not position:
        return group, None
    try:
        index = whole_number(position, sizes[group] - 1)
    except ValueError:
        return None
    return (group, index) if kind == "remove" else None


def _without_item(raw: dict, group: str, index: int, size: int) -> tuple[dict, int]:
    kept, prefix = {}, f"{group}-"
    for name, value in raw.items():
        position, _, rest = name.removeprefix(prefix).partition("-")
        if not name.startswith(prefix) or not position.isascii() or not position.isdigit():
            kept[name] = value
            continue
        position = int(position)
        if position < index:
            kept[name] = value
        elif position > index:
            kept[f"{group}-{position - 1}-{rest}"] = value
    return kept, max(size - 1, 1)


def _render_step(application, current, steps, total, values, errors, sizes, units, typed=None, revealed=False):
    # Conditions see what was just typed on this page, so a field it reveals is shown.
    visible = visible_fields(current, {**application.answers, **(typed or {})})
    position = [s.id for s in steps].index(current.id)
    back = (
        url_for("filing.step", application_id=application.id, step_id=steps[position - 1].id)
        if position
        else url_for("procedures.procedure", slug=application.procedure.slug)
    )
    return render_template(
        "filing/step.html",
        back=back,
        application=application,
        step=current,
        fields=visible,
        number=[s.id for s in steps].index(current.id) + 1,
        total=total,
        values=values,
        errors=errors,
        sizes=sizes,
        units=units,
        revealed=revealed,
    )


def document_types_of(application, codes: list[str] | None = None) -> dict[str, DocumentType]:
    codes = codes or [slot["type"] for slot in application.definition.get("documents", [])]
    rows = db.session.scalars(
        db.select(DocumentType).where(
            DocumentType.province_id == application.procedure.province_id, DocumentType.code.in_(codes)
        )
    )
    return {row.code: row for row in rows}


@bp.route("/applications/<int:application_id>/documents", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"], methods=["POST"])
def documents(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    if application.state_enum is not ApplicationState.DRAFT:
        return redirect(url_for("filing.timeline", application_id=application.id))
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            errors = _handle_document_action(application)
        except RequestEntityTooLarge:
            limit = current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)
            errors = {
                "upload": _(
                    "The file is larger than %(limit)s MB. Scan it at a lower resolution or split it.", limit=limit
                )
            }
        if not errors:
            return redirect(url_for("filing.documents", application_id=application.id))
        status = 422
    steps, total = _steps_for(application)
    today = date.today()
    slots = filing.document_slots(application)
    reusable = {
        slot["type"]: [
            document
            for document in filing.reusable_documents(application.applicant, slot["type"], today)
            if all(link.document_id != document.id for link in application.documents)
        ]
        for slot in slots
    }
    return (
        render_template(
            "filing/documents.html",
            application=application,
            slots=slots,
            types=document_types_of(application),
            reusable=reusable,
            attached=application.documents,
            errors=errors,
            number=len(steps) + 1,
            total=total,
            last_step=steps[-1].id if steps else None,
            max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
        ),
        status,
    )


def _handle_document_action(application) -> dict[str, str]:
    from onestop.datastore.uploads import UploadRejected, receive_with_settings

    action = request.form.get("action", "")
    type_code = request.form.get("type", "")
    if action == "remove":
        filing.detach_document(application, current_user, request.form.get("link", type=row_id) or 0)
        return {}
    if action == "reuse":
        document_id = request.form.get("document", type=row_id)
        if document_id is None:
            return {f"reuse-{type_code}": _("Choose a document to reuse.")}
        filing.attach_existing_document(application, current_user, type_code, document_id)
        flash(_("The document from your warehouse was attached."), "success")
        return {}
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return {f"file-{type_code}": _("Choose a file to upload.")}
    try:
        received = receive_with_settings(upload.stream, upload.filename, current_app.config)
    except UploadRejected as rejected:
        return {f"file-{type_code}": rejected.message}
    province_id = reference.agency(application.receiving_agency_id).province_id
    title = reference.document_type_name(province_id, type_code) or upload.filename
    filing.attach_new_document(application, current_user, type_code, received, title)
    flash(_("The file was uploaded and attached."), "success")
    return {}


@bp.route("/applications/<int:application_id>/review", methods=["GET"])
@login_required
def review(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    if application.state_enum is not ApplicationState.DRAFT:
        return redirect(url_for("filing.timeline", application_id=application.id))
    return _render_review(application)


def answer_summary(application) -> list:
    """[(step, [(field, [lines shown])])]: every visible answer as the citizen and the officers read it."""
    form = filing.form_of(application)
    unit_names = current_province().unit_names()
    summary = []
    for step in visible_steps(form, application.answers):
        rows = []
        for spec in visible_fields(step, application.answers):
            value = application.answers.get(spec.id)
            if spec.type == "group":
                shown = [
                    "; ".join(
                        f"{localized(sub.label)}: {display_value(sub, item.get(sub.id), unit_names)}"
                        for sub in spec.fields
                    )
                    for item in value or []
                ]
                rows.append((spec, shown))
            else:
                rows.append((spec, [display_value(spec, value, unit_names)]))
        summary.append((step, rows))
    return summary


def _render_review(application, error: str | None = None, status: int = 200):
    summary = answer_summary(application)
    deliveries = [ResultDelivery(way) for way in application.definition["result"]["delivery"]]
    return (
        render_template(
            "filing/review.html",
            application=application,
            summary=summary,
            unanswered=filing.next_step_id(application),
            missing=filing.missing_documents(application),
            types=document_types_of(application),
            deliveries=deliveries,
            total=_steps_for(application)[1],
            error=error,
        ),
        status,
    )


@bp.post("/applications/<int:application_id>/submit")
@login_required
@limiter.limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"])
def submit(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    delivery = request.form.get("delivery", "")
    allowed = application.definition["result"]["delivery"]
    if application.state_enum is ApplicationState.DRAFT:
        if delivery not in allowed:
            return _render_review(application, _("Choose how you want to receive the result."), 422)
        application.result_delivery = delivery
    try:
        pin = filing.submit_application(application, current_user)
    except filing.FilingError as error:
        return _render_review(application, error.message, 422)
    except StaleDataError:
        # A second click raced the first and lost: the application was filed once, by the first.
        db.session.rollback()
        return redirect(url_for("filing.receipt", application_id=application_id))
    if pin:
        session[_PIN] = {"application": application.id, "pin": pin}
    return redirect(url_for("filing.receipt", application_id=application.id))


@bp.get("/applications/<int:application_id>/receipt")
@login_required
def receipt(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    if application.state_enum is ApplicationState.DRAFT:
        return redirect(url_for("filing.review", application_id=application.id))
    shown = session.get(_PIN) or {}
    pin = shown.get("pin") if shown.get("application") == application.id else None
    return render_template("filing/receipt.html", application=application, pin=pin)


@bp.get("/applications")
@login_required
def mine():
    applications = filing.my_applications(current_user)
    drafts = [a for a in applications if a.state_enum is ApplicationState.DRAFT]
    others = [a for a in applications if a.state_enum is not ApplicationState.DRAFT]
    return render_template("filing/mine.html", drafts=drafts, others=others, resume=filing.next_step_id)


@bp.get("/applications/<int:application_id>")
@login_required
def timeline(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    return _render_timeline(application)


def _render_timeline(application, error: str | None = None, status: int = 200, form: dict | None = None):
    from onestop.procedures import clock, workflow

    calendar = clock.calendar_for(application) if application.code else None
    return (
        render_template(
            "filing/timeline.html",
            application=application,
            can_withdraw=filing.can_withdraw(application),
            clock_state=clock.compute(application, calendar) if calendar else None,
            countdown=clock.countdown(application, calendar) if calendar else None,
            supplement=workflow.open_supplement(application),
            event_title=workflow.event_title,
            internal=workflow.INTERNAL_ACTIONS,
            slip_titles=workflow.SLIP_TITLES,
            message_authors=workflow.message_authors(application),
            message_action=url_for("filing.message", application_id=application.id),
            attachment_url=lambda message: url_for("warehouse.download", document_id=message.document_id),
            error=error,
            form=form or {},
        ),
        status,
    )


@bp.get("/applications/<int:application_id>/slips/<int:slip_id>.pdf")
@login_required
def slip(application_id: int, slip_id: int):
    """A slip the agency issued for this application, as the citizen's own copy."""
    from onestop.office.views import issued_slip_pdf

    return issued_slip_pdf(filing.get_own_application(current_user, application_id), slip_id)


@bp.post("/applications/<int:application_id>/messages")
@login_required
@limiter.limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"])
def message(application_id: int):
    from onestop.datastore.uploads import receive_with_settings
    from onestop.procedures import workflow

    application = filing.get_own_application(current_user, application_id)
    try:
        file = request.files.get("attachment")
        received = (
            receive_with_settings(file.stream, file.filename, current_app.config) if file and file.filename else None
        )
        workflow.post_message(application, current_user, request.form.get("body", ""), received)
    except InvalidInput as error:
        db.session.rollback()
        application = filing.get_own_application(current_user, application_id)
        return _render_timeline(application, error.message, 422, request.form.to_dict(flat=True))
    flash(_("Message sent."))
    return redirect(url_for("filing.timeline", application_id=application.id) + "#messages")


@bp.route("/applications/<int:application_id>/supplement", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"], methods=["POST"])
def supplement(application_id: int):
    """Supply only what the agency asked for: each requested document (new or from the warehouse), then send."""
    from onestop.datastore.uploads import receive_with_settings
    from onestop.procedures import workflow

    application = filing.get_own_application(current_user, application_id)
    request_ = workflow.open_supplement(application)
    if request_ is None:
        return redirect(url_for("filing.timeline", application_id=application.id))
    errors: dict[str, str] = {}
    error = None
    if request.method == "POST":
        for item in request_.items:
            if item["kind"] != "document":
                continue
            code = item["key"]
            file = request.files.get(f"file-{code}")
            reuse = request.form.get(f"reuse-{code}", type=row_id)
            try:
                if file and file.filename:
                    received = receive_with_settings(file.stream, file.filename, current_app.config)
                    workflow.supply_document(application, current_user, code, received=received)
                elif reuse:
                    workflow.supply_document(application, current_user, code, document_id=reuse)
            except InvalidInput as rejected:
                errors[code] = rejected.message
        if errors:
            # Keep the papers that were accepted: the page is shown again with a 422 for the others.
            db.session.commit()
        if not errors and request.form.get("send"):
            try:
                workflow.answer_supplement(application, current_user, request.form.get("note", ""))
            except InvalidInput as problem:
                error = problem.message
            else:
                flash(_("Thank you. The missing items were sent to the agency."))
                return redirect(url_for("filing.timeline", application_id=application.id))
        elif not errors:
            return redirect(url_for("filing.supplement", application_id=application.id))
    done = workflow.supplied(application, request_)
    codes = [item["key"] for item in request_.items if item["kind"] == "document"]
    status = 422 if errors or error else 200
    return (
        render_template(
            "filing/supplement.html",
            application=application,
            request_=request_,
            done=done,
            errors=errors,
            error=error,
            note=request.form.get("note", ""),
            types=document_types_of(application, codes) if codes else {},
            reusable={code: filing.reusable_documents(application.applicant, code, date.today()) for code in codes},
        ),
        status,
    )


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(application_id: int):
    application = filing.get_own_application(current_user, application_id)
    if request.method == "POST":
        try:
            filing.withdraw_application(application, current_user, request.form.get("reason", ""))
        except filing.FilingError as error:
            return render_template("filing/withdraw.html", application=application, error=error.message), 422
        flash(_("The application was withdrawn."), "success")
        return redirect(url_for("filing.timeline", application_id=application.id))
    return render_template("filing/withdraw.html", application=application, error=None)
