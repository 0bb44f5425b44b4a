"""The signing task: never in a web request, retried by Celery when the service or the TSA does not answer."""

from celery import shared_task


@shared_task(bind=True, max_retries=3)
def sign_result(self, signed_id: int, otp: str, sha256: str) -> str:
    from onestop.results.signing import RETRY_DELAYS, run_signing

    outcome = run_signing(signed_id, otp, sha256, attempt=self.request.retries)
    if outcome == "retry":
        raise self.retry(countdown=RETRY_DELAYS[self.request.retries])
    return outcome


@shared_task
def fail_stale_signings() -> int:
    """Celery beat: signings a dead worker left pending become failed, and may be signed again."""
    from flask import current_app

    from onestop.results.signing import fail_stale_signings as fail

    return fail(current_app.config["SIGNING_STALE_SECONDS"])
