"""Domain errors and the one place that turns them (and HTTP errors) into pages or JSON."""

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, StatementError
from werkzeug.exceptions import HTTPException


class OnestopError(Exception):
    status_code = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotAllowed(OnestopError):
    status_code = 403


class NotFound(OnestopError):
    status_code = 404


class InvalidInput(OnestopError):
    status_code = 422


class Conflict(OnestopError):
    """Someone else changed the object first; nothing of this request was applied."""

    status_code = 409


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You are not allowed to do this"),
        404: _("Page not found"),
        405: _("This action is not available here"),
        409: _("This was changed by someone else"),
        413: _("The file is too large"),
        422: _("Please check what you entered"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
        503: _("The service is temporarily unavailable"),
    }


def _explanations() -> dict[int, str]:
    upload_limit = current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)
    return {
        400: _("Part of the address or the form could not be read. Go back, check what you entered and try again."),
        413: _(
            "Go back: what you typed is usually still in the form. Then choose a smaller file: each file may be "
            "at most %(limit)s MB.",
            limit=upload_limit,
        ),
        403: _("If you think you should have access, sign in with the right account or contact the agency."),
        404: _("Check the address, or search the catalogue of procedures."),
        429: _("For your safety we paused further attempts. Please wait a minute and try again."),
        500: _("The problem has been recorded. Please try again in a few minutes."),
    }


def _render(status: int, message: str = ""):
    if request.accept_mimetypes.best == "application/json":
        return {"error": _titles().get(status, str(status)), "message": message}, status
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=_titles().get(status, _("Error")),
            message=message or _explanations().get(status, ""),
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(OnestopError)
    def _domain_error(error: OnestopError):
        return _render(error.status_code, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return _render(400, _("The form expired. Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return _render(error.code or 500)

    @app.errorhandler(StatementError)
    @app.errorhandler(OverflowError)
    def _out_of_range(error: Exception):
        # Input reaches here only through a parser that skipped onestop.inputs: a number or date the database
        # (or Python's date) cannot hold. The request is refused as bad input; the log says which parser to fix.
        from onestop.extensions import db

        if isinstance(error, StatementError) and not (
            isinstance(error, DataError) or isinstance(error.orig, OverflowError)
        ):
            raise error  # any other database error is ours: a 500, as before

        db.session.rollback()
        app.logger.warning("input out of range reached %s", request.path, exc_info=error)
        return _render(400, _("A number or a date in the request is out of range. Please check what you entered."))
