"""Start-up refusal of secrets anyone can read in the source code.

Outside `make demo` (ONESTOP_DEMO=1) and the tests, the app does not start while a key that signs
sessions, links, audit records or payments is missing or still the demo value; the message says how to
set each one (docs/operations.md, "Secrets").
"""

from collections.abc import Mapping

from onestop.config import DEMO_SECRET_KEY
from onestop.notifications import sms_protocol
from onestop.payments import vnpay

_HOW_TO_GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class InsecureConfiguration(RuntimeError):
    """The app refuses to start: the message lists every setting to fix and how."""


def problems_with(config: Mapping) -> list[str]:
    """Each secret still missing or a demo value, as a sentence telling the operator what to set."""
    problems = []
    secret_key = config.get("SECRET_KEY") or ""
    if not secret_key or secret_key == DEMO_SECRET_KEY:
        problems.append(
            f"SECRET_KEY is {'not set' if not secret_key else 'the demo value'}. It signs sessions, CSRF tokens and "
            f"e-mailed links: set the same long random value on every app server and worker, e.g. "
            f'export SECRET_KEY="$({_HOW_TO_GENERATE})"'
        )
    audit_key = config.get("AUDIT_CHAIN_KEY") or ""
    if not audit_key:
        problems.append(
            "AUDIT_CHAIN_KEY is not set. It seals the audit trail so that someone who can write to the database "
            "cannot rewrite it: set another long random value, kept out of the database, e.g. "
            f'export AUDIT_CHAIN_KEY="$({_HOW_TO_GENERATE})". On an installation that already has audit records, '
            "also set AUDIT_CHAIN_KEY_SINCE to the next record's number (SELECT max(sequence) + 1 FROM "
            "audit_record, with the app servers stopped). Never change or lose this key."
        )
    elif audit_key == secret_key:
        problems.append("AUDIT_CHAIN_KEY is the same as SECRET_KEY: give each its own random value.")
    if (config.get("PAYMENT_PROVIDER") or "vnpay") == "vnpay" and config.get("VNPAY_HASH_SECRET") in (
        None,
        "",
        vnpay.DEMO_HASH_SECRET,
    ):
        problems.append(
            "VNPAY_HASH_SECRET is the mock gateway's demo secret. It signs every payment message: set the hash "
            "secret (and VNPAY_TMN_CODE) that VNPay gave your merchant account."
        )
    problems.extend(_sms_problems(config))
    if not config.get("MAIL_SERVER"):
        problems.append(
            "MAIL_SERVER is not set: every e-mail would be marked sent and reach no one. Set MAIL_SERVER (and "
            "MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD, MAIL_SENDER) to your SMTP relay "
            '(docs/operations.md, "Configuration").'
        )
    if config.get("DEV_MAILBOX"):
        problems.append("DEV_MAILBOX shows every e-mail and SMS on /dev/mailbox: it exists only in `make demo`.")
    return problems


def refuse_demo_secrets(config: Mapping, testing: bool) -> None:
    """Raise InsecureConfiguration outside the demo and the tests when any secret is missing or a demo value."""
    if config.get("ONESTOP_DEMO") or testing:
        return
    problems = problems_with(config)
    if problems:
        raise InsecureConfiguration(
            'onestop will not start with these settings (docs/operations.md, "Secrets"):\n'
            + "\n".join(f"- {problem}" for problem in problems)
            + "\nTo try onestop on this machine with demo secrets, run `make demo` (ONESTOP_DEMO=1) instead."
        )


def _sms_problems(config: Mapping) -> list[str]:
    """SMS must reach phones or be switched off on purpose: never kept in the database where no one reads them."""
    backend = config.get("SMS_BACKEND") or "outbox"
    how = (
        "set SMS_BACKEND=brandname with your brand-name SMS provider's SMS_API_URL, SMS_ACCOUNT, SMS_SECRET and "
        'SMS_BRAND_NAME, or SMS_BACKEND=disabled to send no SMS at all (docs/operations.md, "SMS").'
    )
    if backend == "outbox":
        return [f"SMS_BACKEND is 'outbox': every SMS would be marked sent and reach no phone. Outside the demo, {how}"]
    if backend == "disabled":
        return []
    if backend != "brandname":
        return [f"SMS_BACKEND is {backend!r}, which is not a way to send SMS: {how}"]
    missing = [name for name in ("SMS_API_URL", "SMS_ACCOUNT", "SMS_SECRET", "SMS_BRAND_NAME") if not config.get(name)]
    if missing:
        return [f"SMS_BACKEND is 'brandname' but {', '.join(missing)} is not set: {how}"]
    if config.get("SMS_SECRET") == sms_protocol.DEMO_SECRET:
        return [
            "SMS_SECRET is the mock SMS gateway's demo secret. It signs every SMS request and delivery report: set "
            "the secret (and SMS_ACCOUNT) your brand-name SMS provider gave your account, or SMS_BACKEND=disabled."
        ]
    return []
