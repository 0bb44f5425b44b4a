from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from onestop.extensions import limiter
from onestop.help import presenters, services
from onestop.help.forms import VoteForm
from onestop.help.search import search_help
from onestop.portal.context import current_province
from onestop.text import fold

bp = Blueprint("help", __name__)

QUERY_CHARS = 200
# Votes remembered per browser session, so that pressing a button twice counts once.
_VOTED_KEY = "help_voted"
_REMEMBERED_VOTES = 50


def _vote_limit() -> str:
    return current_app.config["HELP_VOTE_RATE_LIMIT"]


def _search_limit() -> str:
    return current_app.config["HELP_SEARCH_RATE_LIMIT"]


def _page(query: str, form: VoteForm | None = None, status: int = 200, record: bool = True):
    province = current_province()
    result = search_help(province, query) if query else None
    if result is not None and record:
        # Answers that miss some of the words count as none: the report lists what help could not answer.
        services.record_query(province, query, 0 if result.partial else result.total)
    return (
        render_template(
            "help/search.html",
            query=query,
            result=result,
            form=form or VoteForm(formdata=None),
            has_guide=bool(services.guide_questions(province)),
            p=presenters,
        ),
        status,
    )


@bp.get("/help")
@limiter.limit(_search_limit)
def search():
    query = request.args.get("q", "").strip()[:QUERY_CHARS]
    # Back from a vote: the same search, not a second question asked.
    return _page(query, record="voted" not in request.args)


@bp.post("/help/vote")
@limiter.limit(_vote_limit)
def vote():
    form = VoteForm()
    query = (form.q.data or "").strip()[:QUERY_CHARS]
    if not form.validate():
        return _page(query, form, status=422, record=False)
    key = f"{fold(query)}|{form.target.data or ''}"
    voted = session.get(_VOTED_KEY, [])
    if key in voted:
        flash(_("You already answered this; thank you."), "info")
    else:
        helpful = form.helpful.data == "yes"
        services.record_vote(current_province(), query, form.target.data or "", helpful)
        session[_VOTED_KEY] = [*voted, key][-_REMEMBERED_VOTES:]
        if helpful:
            flash(_("Thank you: your answer helps us improve this help."), "success")
        else:
            flash(
                _("Thank you. Try other words, or call the hotline: we will use your answer to improve this help."),
                "info",
            )
    return redirect(url_for("help.search", q=query or None, voted=1))


@bp.get("/help/guide")
@bp.get("/help/guide/<question_id>")
def guide(question_id: str | None = None):
    province = current_province()
    question = services.guide_question(province, question_id)
    options = services.guide_options(province, question)
    return render_template("help/guide.html", question=question, options=options, is_first=question_id is None)


@bp.get("/help/guide/<question_id>/<int:number>")
def guide_answer(question_id: str, number: int):
    question, option, procedures = services.guide_option(current_province(), question_id, number)
    if option.get("next"):
        return redirect(url_for("help.guide", question_id=option["next"]))
    return render_template("help/guide_answer.html", question=question, option=option, procedures=procedures)


@bp.get("/admin/help")
@login_required
def report():
    report = services.help_report(current_user, current_province())
    return render_template("help/report.html", report=report)


def init_app(app) -> None:
    app.register_blueprint(bp)
    # The header and the back office ask whether to show the report link; templates never check roles.
    app.jinja_env.globals["can_read_help_report"] = services.can_read_report
