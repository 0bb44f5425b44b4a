"""The citizen's signing task: never in a web request, retried when the service or the TSA does not answer."""

from celery import shared_task


@shared_task(bind=True, max_retries=3)
def sign_paper(self, signed_id: int, otp: str, sha256: str) -> str:
    from onestop.declarations.worker import RETRY_DELAYS, run_signing

    outcome = run_signing(signed_id, otp, sha256, attempt=self.request.retries)
    if outcome == "retry":
        raise self.retry(countdown=RETRY_DELAYS[self.request.retries])
    return outcome
