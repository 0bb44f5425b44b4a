from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_babel import format_datetime
from sqlalchemy import text

from onestop.assets import cache_if_current, province_fingerprint
from onestop.extensions import db
from onestop.i18n import LANG_COOKIE, current_language, localized
from onestop.inputs import local_target
from onestop.payments.fees import dong
from onestop.portal.cache import cached_for_visitors
from onestop.portal.context import current_province
from onestop.procedures.search import catalogue_index, most_used

bp = Blueprint("portal", __name__)


@bp.get("/")
@cached_for_visitors
def home():
    province = current_province()
    return render_template("portal/home.html", popular=most_used(province), sectors=catalogue_index(province).sectors)


@bp.get("/privacy")
def privacy():
    return render_template("portal/privacy.html")


@bp.get("/lang/<code>")
def switch_language(code: str):
    response = redirect(local_target(request.args.get("next"), url_for("portal.home")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
        )
    return response


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


def register_template_globals(app: Flask) -> None:
    # A global rather than context, so that imported macros can use it too.
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["dong"] = dong
    # Dates as people in Vietnam write them, in the province's time zone: 24/11/2026 16:38.
    app.jinja_env.filters["when"] = lambda moment: format_datetime(moment, "dd/MM/yyyy HH:mm")

    @app.context_processor
    def _page_context():
        return {
            "province": _province_or_none(),
            "lang": current_language(),
            "languages": current_app.config["LANGUAGES"],
            "inbox_unread": _inbox_unread,
        }


def _inbox_unread() -> int:
    """The header's count of unread notices; asked only on pages drawn for a signed-in person."""
    from flask_login import current_user

    from onestop.notifications.inbox import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def _province_or_none():
    from onestop.errors import NotFound

    try:
        return current_province()
    except NotFound:
        return None
    except Exception:
        return None


@bp.get("/theme.css")
def theme_css():
    """The province's colours as CSS variables (a stylesheet, since the CSP forbids inline style)."""
    province = current_province()
    branding = province.branding or {}
    css = ":root {{ --primary: {p}; --primary-dark: {d}; --accent: {a}; }}\n".format(
        p=branding.get("primary_colour", "#0b4f8a"),
        d=_darker(branding.get("primary_colour", "#0b4f8a")),
        a=branding.get("accent_colour", "#b3261e"),
    )
    response = current_app.response_class(css, mimetype="text/css")
    return cache_if_current(response, province_fingerprint(province))


def _darker(colour: str, factor: float = 0.72) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (red, green, blue)))
