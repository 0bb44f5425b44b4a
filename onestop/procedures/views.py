from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from onestop.extensions import limiter
from onestop.inputs import row_id
from onestop.portal.cache import cached_for_visitors
from onestop.portal.context import current_province
from onestop.procedures import services
from onestop.procedures.filing import find_for_lookup
from onestop.procedures.forms import StatusLookupForm
from onestop.procedures.models import OnlineLevel
from onestop.procedures.search import Filters, catalogue_index, search_procedures

bp = Blueprint("procedures", __name__)


def _int_arg(name: str) -> int | None:
    return request.args.get(name, type=row_id)


@bp.get("/procedures")
@cached_for_visitors
def catalogue():
    province = current_province()
    query = request.args.get("q", "").strip()[:200]
    level = request.args.get("level", "")
    filters = Filters(
        agency_id=_int_arg("agency"),
        sector_id=_int_arg("sector"),
        online_level=level if level in OnlineLevel.__members__.values() else None,
    )
    result = search_procedures(
        province, query, filters, page=_int_arg("page") or 1, per_page=current_app.config["CATALOGUE_PAGE_SIZE"]
    )
    index = catalogue_index(province)
    return render_template(
        "procedures/catalogue.html",
        query=query,
        filters=filters,
        result=result,
        index=index,
        levels=[(OnlineLevel.FULL, _("Fully online")), (OnlineLevel.PARTIAL, _("Partly online"))],
    )


@bp.get("/procedures/<slug>")
@cached_for_visitors
def procedure(slug: str):
    province = current_province()
    procedure = services.get_procedure(province, slug)
    receiving = services.who_receives(procedure)
    receivers = {agency.id for agency, _units in receiving.agencies}
    processing = [agency for agency in procedure.agencies if agency.id not in receivers]
    return render_template(
        "procedures/procedure.html",
        procedure=procedure,
        receiving=receiving,
        spec=procedure.definition,
        document_types=services.document_types_for(procedure),
        processing_agencies=processing,
    )


def _lookup_limit() -> str:
    return current_app.config["ACCOUNT_RATE_LIMIT"]


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(_lookup_limit, methods=["POST"])
def status_lookup():
    form = StatusLookupForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("procedures/status.html", form=form, searched=False), status
    # A wrong pair and an unknown code get the same answer: a lookup never reveals that a code exists.
    application = find_for_lookup(form.code.data, form.secret.data)
    if application is None:
        return render_template("procedures/status.html", form=form, searched=True, application=None), 404
    from onestop.procedures.workflow import citizen_status

    return render_template("procedures/status_found.html", application=application, status=citizen_status(application))
