"""The citizen's filing pages: one step per page, documents, check your answers, receipt, timeline."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from onestop import localtime
from onestop.errors import InvalidInput, NotFound
from onestop.extensions import db, limiter
from onestop.handoff import keep_despite_refusal
from onestop.i18n import localized
from onestop.inputs import row_id
from onestop.portal.context import current_province
from onestop.procedures import counter, filing, reference
from onestop.procedures.filling import (
    as_inputs,
    changed_groups,
    display_value,
    group_size,
    prefill_values,
    read_step,
    visible_fields,
    visible_steps,
)
from onestop.procedures.models import ApplicationState, DocumentType, ResultDelivery
from onestop.procedures.route import CHOSEN_RECEIVER
from onestop.procedures.services import get_procedure

bp = Blueprint("filing", __name__)

_PIN = "receipt_pin"


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
        # Where several agencies may receive, the first step asks which one.
        choosing = filing.receiver_choices(application, current.id)
        chosen = request.form.get(filing.RECEIVER_INPUT, "") if choosing else None
        action = request.form.get("action", "continue")
        result = read_step(current, request.form, application.answers, {code for code, *_ in units}, localtime.today())
        sizes = dict(result.group_sizes)
        if action.startswith(("add:", "remove:")):
            # Adding or removing an item of a repeating group: keep everything typed, no checks yet.
            raw, sizes = changed_groups(current, action, dict(result.raw), sizes)
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
        try:
            filing.save_step(application, current_user, current.id, result, chosen)
        except filing.ReceiverError as problem:
            errors = {problem.input_id: problem.message}
            page = _render_step(application, current, steps, total, result.raw, errors, sizes, units, result.values)
            return page, 422
        return _after_step(application, current.id)
    answers = {
        **prefill_values(current, application.answers, filing.known_facts(application, current_user)),
        **application.answers,
    }
    sizes = {spec.id: group_size(spec, None, application.answers) for spec in current.fields if spec.type == "group"}
    return _render_step(application, current, steps, total, as_inputs(current, answers), {}, sizes, units)


def _render_step(application, current, steps, total, values, errors, sizes, units, typed=None, revealed=False):
    choices = filing.receiver_choices(application, current.id)
    chosen = request.form.get(filing.RECEIVER_INPUT) if request.method == "POST" else None
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
        receivers=choices,
        chosen_receiver=chosen or application.answers.get(CHOSEN_RECEIVER),
        consent=counter.consent_state(current_user, application),
        consent_back=url_for("filing.step", application_id=application.id, step_id=current.id),
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
    return _render_documents(application, errors, status)


def _render_documents(application, errors: dict[str, str], status: int, typed_code: str = ""):
    steps, total = _steps_for(application)
    today = localtime.today()
    slots = filing.document_slots(application)
    reusable = {
        slot["type"]: [
            document
            for document in filing.reusable_documents(application, current_user, slot["type"], today)
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
            consent=counter.consent_state(current_user, application),
            consent_back=url_for("filing.documents", application_id=application.id),
            typed_code=typed_code,
        ),
        status,
    )


@bp.post("/applications/<int:application_id>/counter-consent")
@login_required
@limiter.limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"])
def counter_consent(application_id: int):
    """A clerk at the counter sends the citizen a code, or types the code the citizen read out."""
    application = filing.get_own_application(current_user, application_id)
    if application.state_enum is not ApplicationState.DRAFT:
        return redirect(url_for("filing.timeline", application_id=application.id))
    code = request.form.get("code", "")
    try:
        if request.form.get("action") == "send":
            counter.send_consent_code(application, current_user)
            flash(_("A code was sent to the citizen. Ask them to read it out."), "info")
        else:
            counter.confirm_consent(application, current_user, code)
            flash(_("The citizen agreed: their saved papers and details can be used for this application."), "success")
    except counter.ConsentError as error:
        return _render_documents(application, {"consent": error.message}, 422, typed_code=code)
    return redirect(_own_page(application, request.form.get("back", "")))


def _own_page(application, target: str) -> str:
    """Back to the filing page the clerk came from, if it is one of this application's; else its documents."""
    own = f"/applications/{application.id}/"
    if target.startswith(own) and "//" not in target and "\\" not in target and all(c.isprintable() for c in target):
        return target
    return url_for("filing.documents", application_id=application.id)


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
        try:
            filing.attach_existing_document(application, current_user, type_code, document_id)
        except filing.FilingError as refused:
            return {f"reuse-{type_code}": refused.message}
        flash(_("The document from your warehouse was attached."), "success")
        return {}
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return {f"file-{type_code}": _("Choose a file to upload.")}
    try:
        filing.check_room_for(application, type_code)  # before the file is checked and stored
        received = receive_with_settings(upload.stream, upload.filename, current_app.config)
    except (UploadRejected, filing.FilingError) as rejected:
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
    from onestop.procedures.workflow.present import MARK_TITLES

    calendar = clock.calendar_for(application) if application.code else None
    return (
        render_template(
            "filing/timeline.html",
            application=application,
            status=workflow.citizen_status(application),
            history=workflow.citizen_timeline(application),
            steps=workflow.step_lines(application) if application.code else [],
            mark_titles=MARK_TITLES,
            can_withdraw=filing.can_withdraw(application, current_user),
            clock_state=clock.compute(application, calendar) if calendar else None,
            supplement=workflow.open_supplement(application),
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
        offered = []
        for item in request_.items:
            if item["kind"] != "document":
                continue
            code = item["key"]
            file = request.files.get(f"file-{code}")
            try:
                received = (
                    receive_with_settings(file.stream, file.filename, current_app.config)
                    if file and file.filename
                    else None
                )
            except InvalidInput as rejected:
                errors[code] = rejected.message
                continue
            offered.append((code, received, request.form.get(f"reuse-{code}", type=row_id)))
        # Papers accepted stay attached; the page is shown again with a 422 for the others.
        errors |= workflow.supply_documents(application, current_user, offered)
        if errors:
            keep_despite_refusal()
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
            reusable={
                code: workflow.reusable_for_supplement(application, current_user, request_, code) for code in codes
            },
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
