"""Staff side: the agency's feedback list with its overdue flag, and one page to answer, forward or publish."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop import localtime
from onestop.errors import InvalidInput, NotAllowed
from onestop.feedback import present, publishing, queue, services
from onestop.feedback.forms import AnswerForm, ForwardForm, PublishForm
from onestop.feedback.views import bp, send_attachment


@bp.get("/office/feedback")
@login_required
def office_list():
    if not current_user.is_staff:
        raise NotAllowed(_("Only staff can read an agency's feedback."))
    try:
        show = queue.Show(request.args.get("show", queue.Show.OPEN))
    except ValueError:
        show = queue.Show.OPEN
    today = localtime.today()
    rows, next_cursor = queue.feedback_page(current_user, show, today, request.args.get("after"))
    return render_template(
        "feedback/office_list.html",
        rows=rows,
        show=show,
        shows=list(queue.Show),
        next_cursor=next_cursor,
        counts=queue.counts(current_user.agency_id, today),
        today=today,
        p=present,
    )


def _forward_form(form: ForwardForm | None, feedback) -> ForwardForm:
    form = form or ForwardForm(formdata=None)
    form.to_agency.choices = [("", _("— choose —"))] + [
        (str(agency.id), agency.display_name())
        for agency in services.agencies_of(feedback.agency.province)
        if agency.id != feedback.agency_id
    ]
    return form


def _page(feedback, status: int = 200, answer=None, forward=None, publish=None):
    published = publishing.published_for(feedback)
    if publish is None:
        publish = PublishForm(formdata=None)
        publish.question.data = published.question if published else feedback.body
        publish.public_answer.data = published.answer if published else feedback.answer
        publish.procedure.data = str(published.procedure_id) if published else ""
    _procedure_choices(publish, feedback)
    return (
        render_template(
            "feedback/office_show.html",
            feedback=feedback,
            answer_form=answer or AnswerForm(formdata=None),
            forward_form=_forward_form(forward, feedback),
            publish_form=publish,
            published=published,
            may_publish=publishing.may_publish(current_user, feedback),
            today=localtime.today(),
            p=present,
            office=True,
        ),
        status,
    )


def _procedure_choices(form: PublishForm, feedback) -> None:
    procedures = publishing.procedures_to_publish_on(feedback)
    choices = [(str(procedure.id), procedure.display_name()) for procedure in procedures]
    form.procedure.choices = choices if feedback.procedure_id else [("", _("— choose —")), *choices]


@bp.get("/office/feedback/<int:feedback_id>")
@login_required
def office_show(feedback_id: int):
    return _page(services.for_staff(current_user, feedback_id))


@bp.post("/office/feedback/<int:feedback_id>/answer")
@login_required
def office_answer(feedback_id: int):
    feedback = services.for_staff(current_user, feedback_id)
    form = AnswerForm()
    if not form.validate():
        return _page(feedback, 422, answer=form)
    try:
        services.answer(feedback, current_user, form.answer.data)
    except InvalidInput as refused:
        form.answer.errors.append(refused.message)
        return _page(feedback, 422, answer=form)
    flash(_("The answer was sent."), "success")
    return redirect(url_for("feedback.office_show", feedback_id=feedback.id))


@bp.post("/office/feedback/<int:feedback_id>/forward")
@login_required
def office_forward(feedback_id: int):
    feedback = services.for_staff(current_user, feedback_id)
    form = _forward_form(ForwardForm(), feedback)
    if not form.validate():
        return _page(feedback, 422, forward=form)
    try:
        services.forward(feedback, current_user, services.chosen_id(form.to_agency.data), form.note.data)
    except InvalidInput as refused:
        form.to_agency.errors.append(refused.message)
        return _page(feedback, 422, forward=form)
    flash(_("The feedback was sent to the other agency."), "success")
    return redirect(url_for("feedback.office_list"))


@bp.post("/office/feedback/<int:feedback_id>/publish")
@login_required
def office_publish(feedback_id: int):
    feedback = services.for_staff(current_user, feedback_id)
    form = PublishForm()
    if request.form.get("action") == "withdraw":
        publishing.withdraw(feedback, current_user)
        flash(_("The answer was taken off the public pages."), "success")
        return redirect(url_for("feedback.office_show", feedback_id=feedback.id))
    if not form.validate():
        return _page(feedback, 422, publish=form)
    try:
        publishing.publish(
            feedback,
            current_user,
            form.question.data,
            form.public_answer.data,
            services.chosen_id(form.procedure.data),
        )
    except InvalidInput as refused:
        (form.procedure if form.procedure.data in ("", None) else form.question).errors.append(refused.message)
        return _page(feedback, 422, publish=form)
    flash(_("The question and its answer are on the procedure's page now."), "success")
    return redirect(url_for("feedback.office_show", feedback_id=feedback.id))


@bp.get("/office/feedback/<int:feedback_id>/files/<int:attachment_id>")
@login_required
def office_attachment(feedback_id: int, attachment_id: int):
    feedback = services.for_staff(current_user, feedback_id)
    return send_attachment(services.attachment_of(feedback, attachment_id))
