"""onestop: the provincial public service portal and electronic one-stop back office."""

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from onestop import secrets_check
from onestop.config import Config, demo_public_url, public_url_problem
from onestop.inputs import OnestopRequest, RowIdConverter, TextConverter


def create_app(config: type | Mapping | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    # Before any route is added: every <int:...> of ours is a row id, and a number no row can have is a 404;
    # no URL variable holds a control character (PostgreSQL cannot store NUL); no form value keeps one.
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    app.request_class = OnestopRequest
    app.jinja_env.add_extension("jinja2.ext.do")
    app.config.from_object(Config)
    if isinstance(config, Mapping):
        app.config.from_mapping(config)
    elif config is not None:
        app.config.from_object(config)
    secrets_check.refuse_demo_secrets(app.config, app.testing)
    _check_public_url(app)

    from onestop import assets, celery_app, errors, extensions, ratelimit, security
    from onestop.i18n import select_locale

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True
    )
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=select_locale, default_translation_directories="../translations")
    ratelimit.init_app(app)
    extensions.limiter.init_app(app)
    extensions.login_manager.init_app(app)
    celery_app.init_celery(app)
    security.init_app(app)
    assets.init_app(app)
    errors.register_error_handlers(app)

    import onestop.audit.services  # its session hooks audit every history event and document read
    import onestop.dashboards.models
    import onestop.declarations.models
    import onestop.results.models  # noqa: F401  (signed documents: registered before any view imports them)
    from onestop import handoff
    from onestop.accounts import views as accounts_views
    from onestop.dashboards import views as dashboard_views
    from onestop.datastore import views as datastore_views
    from onestop.declarations import views as declaration_views
    from onestop.feedback import views as feedback_views
    from onestop.help import views as help_views
    from onestop.notifications import deadletter_views, sms_reports
    from onestop.notifications import views as notification_views
    from onestop.office import views as office_views
    from onestop.payments import views as payment_views
    from onestop.portal import views as portal_views
    from onestop.procedures import filing_views
    from onestop.procedures import views as procedure_views
    from onestop.provinces import views as province_views
    from onestop.results import verify_views
    from onestop.results import views as result_views
    from onestop.surveys import answer_views as survey_answer_views
    from onestop.surveys import result_views as survey_result_views
    from onestop.surveys import views as survey_views

    handoff.init_app()
    accounts_views.init_app(app)
    app.register_blueprint(portal_views.bp)
    app.register_blueprint(procedure_views.bp)
    app.register_blueprint(filing_views.bp)
    app.register_blueprint(province_views.bp)
    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(accounts_views.admin_bp)
    app.register_blueprint(notification_views.bp)
    app.register_blueprint(sms_reports.bp)
    app.register_blueprint(deadletter_views.bp)
    app.register_blueprint(datastore_views.bp)
    app.register_blueprint(office_views.bp)
    app.register_blueprint(result_views.bp)
    app.register_blueprint(survey_views.bp)
    app.register_blueprint(survey_result_views.bp)
    app.register_blueprint(survey_answer_views.bp)
    app.register_blueprint(verify_views.bp)
    app.register_blueprint(declaration_views.bp)
    app.register_blueprint(dashboard_views.bp)
    app.register_blueprint(dashboard_views.public_bp)
    payment_views.init_app(app)
    help_views.init_app(app)
    feedback_views.init_app(app)
    from onestop.ratings import views as rating_views

    rating_views.init_app(app)

    from onestop import cli

    cli.register(app)
    _commit_once_per_request(app)
    portal_views.register_template_globals(app)
    return app


def _commit_once_per_request(app: Flask) -> None:
    """Services flush; the request commits once at its edge, so a broken rule leaves nothing behind."""
    from onestop.extensions import db
    from onestop.handoff import should_keep

    @app.after_request
    def _commit(response):
        if response.status_code < 400 or should_keep():
            db.session.commit()
        else:
            db.session.rollback()
        return response


def _check_public_url(app: Flask) -> None:
    """E-mailed links must reach the portal: the demo links to its own port, anything else must say where it is."""
    if app.config["ONESTOP_DEMO"] and not app.config["PUBLIC_URL"]:
        app.config["PUBLIC_URL"] = demo_public_url()
    if app.testing or app.config["ONESTOP_DEMO"]:
        return
    problem = public_url_problem(app.config)
    if problem:
        raise RuntimeError(problem)
