"""Dashboard pages: the index and the figures for an agency or the province, the files behind each
figure, exports of every table, and the public statistics. Views parse; access.py decides who sees what."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from onestop import localtime
from onestop.dashboards import (
    access,
    aggregate,
    drill,
    exports,
    memo,
    periods,
    present,
    procedure_figures,
    publicity,
    report,
)
from onestop.errors import NotAllowed
from onestop.i18n import current_language
from onestop.inputs import row_id, whole_number
from onestop.portal.context import current_province

bp = Blueprint("dashboards", __name__, url_prefix="/office/dashboard")
public_bp = Blueprint("statistics", __name__, url_prefix="/statistics")

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.context_processor
def _presenters() -> dict:
    return {"dash": present, "period_kinds": periods.Kind, "period_titles": periods.KIND_TITLES}


@public_bp.context_processor
def _public_presenters() -> dict:
    return _presenters()


@bp.app_template_global()
def may_see_dashboards(user) -> bool:
    return access.may_see_dashboards(user)


def _today():
    return localtime.today()


def _agency_arg() -> int | None:
    text = request.args.get("agency", "")
    if not text:
        return None
    try:
        return row_id(text)
    except ValueError:
        abort(404)


def _scope(agency_id: int | None):
    return access.scope_for(current_user, agency_id, current_province())


def _download(rows, name: str, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    body = exports.as_csv(rows) if fmt == "csv" else exports.as_xlsx(rows, name)
    return Response(
        body, mimetype=FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


@bp.get("")
@login_required
def home():
    scope = _scope(None)
    if scope.agency is not None:
        return redirect(url_for("dashboards.agency", agency_id=scope.agency.id, **request.args))
    return _page(scope)


@bp.get("/agency/<int:agency_id>")
@login_required
def agency(agency_id: int):
    return _page(_scope(agency_id))


def _list_url(scope, period):
    """The address of each list behind a figure, built once per page rather than once per cell."""
    prefix = url_for("dashboards.files", list_key="-")[:-1]
    query = urlencode({"agency": scope.agency_id or "", **period.args()})
    return lambda key: f"{prefix}{key}?{query}"


def _page_urls(scope, period, public: bool) -> dict:
    """The exports' and the agencies' addresses, each built once per page rather than once per link."""
    export_endpoint, agency_endpoint = (
        ("statistics.public_export", "statistics.agency_statistics")
        if public
        else ("dashboards.export", "dashboards.agency")
    )
    exports_query = urlencode({"agency": scope.agency_id or "", **period.args()})
    exports_prefix = url_for(export_endpoint, table="-", fmt="-")[: -len("-.-")]
    agencies_query = urlencode(period.args())
    agencies_prefix = url_for(agency_endpoint, agency_id=0)[:-1]
    return {
        "export_url": lambda table, fmt: f"{exports_prefix}{table}.{fmt}?{exports_query}",
        "agency_url": lambda agency_id: f"{agencies_prefix}{agency_id}?{agencies_query}",
    }


def _page(scope, template: str = "dashboards/dashboard.html", public: bool = False):
    today = _today()
    period = periods.parse(request.args, today)
    built = report.build(scope, period, today)
    status = 422 if period.problems else 200
    return (
        render_template(
            template,
            report=built,
            period=period,
            today=today,
            public=public,
            report_html=_report_html(scope, period, built, public),
        ),
        status,
    )


def _report_html(scope, period, built, public: bool) -> Markup:
    """The report's tables and charts (dashboards/_report.html), drawn once per process for the same figures,
    language and kind of reader: they change only with the summaries (memo.py) and the live overdue count."""
    key = (
        "html",
        tuple(scope.agency_ids),
        scope.agency_id,
        tuple(period.args().items()),
        period.first,
        period.last,
        public,
        current_language(),
        built.overdue,
    )

    def draw() -> Markup:
        return Markup(
            render_template(
                "dashboards/_report.html",
                report=built,
                public=public,
                list_url=_list_url(scope, period),
                **_page_urls(scope, period, public),
                group_chart=present.group_chart(built.index, "index-groups"),
                trend_chart=present.trend_chart(built.months, "months"),
            )
        )

    return memo.kept(scope.province.id, key, draw)


@bp.get("/export/<table>.<fmt>")
@login_required
def export(table: str, fmt: str):
    scope = _scope(_agency_arg())
    return _export(scope, table, fmt)


def _export(scope, table: str, fmt: str) -> Response:
    if table not in exports.TABLES:
        abort(404)
    today = _today()
    built = report.build(scope, periods.parse(request.args, today), today)
    rows = {
        "index": lambda: exports.index_rows(built.index),
        "figures": lambda: exports.figure_rows(built.figures),
        "months": lambda: exports.month_rows(built.months),
        "agencies": lambda: exports.agency_rows(built.agencies, built.agency_sums),
    }[table]()
    return _download(rows, table, fmt)


@bp.get("/files/<list_key>")
@login_required
def files(list_key: str):
    if list_key in publicity.LISTS:
        return _procedures(publicity.LISTS[list_key])
    if list_key in procedure_figures.LISTS:
        return _catalogue(procedure_figures.LISTS[list_key])
    item = drill.LISTS.get(list_key)
    if item is None:
        abort(404)
    scope = _scope(_agency_arg())
    today = _today()
    period = periods.parse(request.args, today)
    try:
        page = whole_number(request.args.get("page") or "1", 100_000) or 1
    except ValueError:
        page = 1
    found = drill.files(item, scope, period.first, period.last, today, page)
    return render_template("dashboards/files.html", item=item, scope=scope, period=period, found=found, today=today), (
        422 if period.problems else 200
    )


def _procedures(item):
    """The procedures behind the publicity figure: each announcing decision, its deadline and when it went live."""
    scope = _scope(_agency_arg())
    period = periods.parse(request.args, _today())
    found = publicity.listed(item, scope, period.first, period.last)
    return render_template("dashboards/procedures.html", item=item, scope=scope, period=period, found=found), (
        422 if period.problems else 200
    )


def _catalogue(item):
    """The procedures behind a procedure-level figure (offered, used, paid online; published complete)."""
    scope = _scope(_agency_arg())
    period = periods.parse(request.args, _today())
    found = procedure_figures.listed(item, scope, period.first, period.last)
    return render_template("dashboards/catalogue.html", item=item, scope=scope, period=period, found=found), (
        422 if period.problems else 200
    )


@bp.get("/files/<list_key>/export.<fmt>")
@login_required
def files_export(list_key: str, fmt: str):
    if list_key in publicity.LISTS:
        scope = _scope(_agency_arg())
        period = periods.parse(request.args, _today())
        found = publicity.listed(publicity.LISTS[list_key], scope, period.first, period.last)
        return _download(exports.announcement_rows(found), list_key, fmt)
    if list_key in procedure_figures.LISTS:
        item = procedure_figures.LISTS[list_key]
        scope = _scope(_agency_arg())
        period = periods.parse(request.args, _today())
        found = procedure_figures.listed(item, scope, period.first, period.last)
        rows = exports.publication_rows(found) if item.lists_publications else exports.catalogue_rows(found)
        return _download(rows, list_key, fmt)
    item = drill.LISTS.get(list_key)
    if item is None:
        abort(404)
    scope = _scope(_agency_arg())
    today = _today()
    period = periods.parse(request.args, today)
    applications = drill.all_files(item, scope, period.first, period.last, today)
    return _download(exports.file_rows(applications), list_key, fmt)


@bp.post("/refresh")
@login_required
def refresh():
    """Bring today's figures up to date now (the beat job does it every few minutes anyway)."""
    scope = _scope(_agency_arg())
    if not access.may_see_dashboards(current_user):
        raise NotAllowed()
    aggregate.aggregate_day(scope.province, _today())
    flash(_("Today's figures are up to date."), "success")
    if scope.agency is not None:
        return redirect(url_for("dashboards.agency", agency_id=scope.agency.id))
    return redirect(url_for("dashboards.home"))


# --- public statistics (no personal data: sums only, no file lists) ---------------------------


@public_bp.get("")
def province_statistics():
    return _page(access.public_scope(current_province(), None), "dashboards/public.html", public=True)


@public_bp.get("/agency/<int:agency_id>")
def agency_statistics(agency_id: int):
    return _page(access.public_scope(current_province(), agency_id), "dashboards/public.html", public=True)


@public_bp.get("/export/<table>.<fmt>")
def public_export(table: str, fmt: str):
    return _export(access.public_scope(current_province(), _agency_arg()), table, fmt)
