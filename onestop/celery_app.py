"""Celery wired to the Flask app: every task runs inside an application context."""

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask


def init_celery(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    reconcile_hour, reconcile_minute = (int(part) for part in app.config["PAYMENT_RECONCILE_UTC"].split(":"))
    remind_hour, remind_minute = (int(part) for part in app.config["DEADLINE_REMINDER_UTC"].split(":"))
    digest_hour, digest_minute = (int(part) for part in app.config["DIGEST_UTC"].split(":"))
    nightly_hour, nightly_minute = (int(part) for part in app.config["DASHBOARD_NIGHTLY_UTC"].split(":"))
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"] or None,
        task_ignore_result=True,
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=False,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        beat_schedule={
            "sweep-outbox": {
                "task": "onestop.notifications.tasks.sweep_outbox",
                "schedule": app.config["OUTBOX_SWEEP_INTERVAL"],
            },
            "sweep-payments": {
                "task": "onestop.payments.tasks.sweep_payments",
                "schedule": app.config["PAYMENT_SWEEP_INTERVAL"],
            },
            "remind-deadlines": {
                "task": "onestop.office.tasks.remind_deadlines",
                "schedule": crontab(hour=remind_hour, minute=remind_minute),
            },
            "staff-digests": {
                "task": "onestop.notifications.digest.send_digests_task",
                "schedule": crontab(hour=digest_hour, minute=digest_minute),
            },
            "fail-stale-signings": {
                "task": "onestop.results.tasks.fail_stale_signings",
                "schedule": 300,
            },
            "seal-stale-slips": {
                "task": "onestop.results.seal.seal_stale_slips",
                "schedule": 300,
            },
            "dashboards-yesterday": {
                "task": "onestop.dashboards.tasks.aggregate_yesterday",
                "schedule": crontab(hour=nightly_hour, minute=nightly_minute),
            },
            "dashboards-today": {
                "task": "onestop.dashboards.tasks.aggregate_today",
                "schedule": app.config["DASHBOARD_TODAY_INTERVAL"],
            },
            "reconcile-payments": {
                "task": "onestop.payments.tasks.reconcile",
                "schedule": crontab(hour=reconcile_hour, minute=reconcile_minute),
            },
        },
        include=[
            "onestop.notifications.tasks",
            "onestop.notifications.digest",
            "onestop.payments.tasks",
            "onestop.office.tasks",
            "onestop.results.seal",
            "onestop.dashboards.tasks",
            "onestop.results.tasks",
            "onestop.declarations.tasks",
        ],
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
