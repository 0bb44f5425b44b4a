"""Configuration read from the environment, with safe local defaults.

Every key is documented in docs/operations.md. `create_app(config)` accepts a class or a mapping
to override any of them (the test suite does).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from onestop.notifications import sms_protocol
from onestop.payments import vnpay

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ONESTOP_VAR_DIR", BASE_DIR / "var"))


DEMO_SECRET_KEY = "onestop-demo-secret-change-me"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # `make demo` (ONESTOP_DEMO=1, DemoConfig): the only mode besides the tests that may run on demo secrets.
    ONESTOP_DEMO = False

    # Secrets and sessions. A random key per process would log everybody out on each restart and
    # break scale-out, so outside the demo and the tests SECRET_KEY must be set (onestop/secrets_check.py).
    SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
    # A session kept alive by use still ends this long after its sign-in (onestop/accounts/services.py).
    SESSION_ABSOLUTE_LIFETIME = int(os.environ.get("SESSION_ABSOLUTE_LIFETIME", str(30 * 24 * 3600)))
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 4

    # Database: SQLite file by default, PostgreSQL in production.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'onestop.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Files.
    BLOB_DIR = os.environ.get("BLOB_DIR", str(VAR_DIR / "blobs"))

    # Which loaded province this installation serves (its code); empty means the first one loaded.
    PROVINCE = os.environ.get("PROVINCE", "")
    PROVINCES_DIR = os.environ.get("PROVINCES_DIR", str(BASE_DIR / "provinces"))

    # Languages.
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

    # Rate limits (Flask-Limiter), counted in one store every process shares (onestop/ratelimit.py): this URI
    # if set, else REDIS_URL or a Redis Celery broker, else the database. memory:// counts per process.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    ACCOUNT_RATE_LIMIT = os.environ.get("ACCOUNT_RATE_LIMIT", "5 per minute;30 per hour")

    # Accounts.
    EMAIL_CONFIRM_MAX_AGE = 3 * 24 * 3600
    PASSWORD_RESET_MAX_AGE = 3600
    PHONE_CODE_MAX_AGE = 10 * 60
    # How long a walk-in citizen's grant (a code read out at the counter) lets the clerk use their saved papers.
    COUNTER_CONSENT_MAX_AGE = int(os.environ.get("COUNTER_CONSENT_MAX_AGE", str(2 * 3600)))
    PASSWORD_MIN_LENGTH = 8

    # Outgoing mail. With no MAIL_SERVER, messages stay in the local outbox; the demo (and only the demo)
    # shows them at /dev/mailbox.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Cổng dịch vụ công <no-reply@onestop.local>")
    # SMS (docs/operations.md, "SMS"): `brandname` sends through a brand-name provider's HTTP API; `outbox` keeps
    # them for /dev/mailbox (demo, development and tests only: production refuses to start with it, see
    # onestop/secrets_check.py); `disabled` sends none. The defaults point at the mock gateway of `make demo`.
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "outbox")
    SMS_API_URL = os.environ.get("SMS_API_URL", f"http://127.0.0.1:5002{sms_protocol.SEND_PATH}")
    SMS_ACCOUNT = os.environ.get("SMS_ACCOUNT", sms_protocol.DEMO_ACCOUNT)
    SMS_SECRET = os.environ.get("SMS_SECRET", sms_protocol.DEMO_SECRET)
    SMS_BRAND_NAME = os.environ.get("SMS_BRAND_NAME", sms_protocol.DEMO_BRANDNAME)
    SMS_API_TIMEOUT = float(os.environ.get("SMS_API_TIMEOUT", "10"))
    DEV_MAILBOX = False

    # The address citizens reach this portal at (https://dichvucong.example.gov.vn): every link in an e-mail,
    # an SMS or a slip's QR code, and the payment gateway's return, is built on it (onestop/links.py).
    # Outside the demo and the tests the app refuses to start without it (public_url_problem below).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")

    # Compression of responses (onestop/assets.py): brotli or gzip, as the browser prefers, for text of at
    # least COMPRESS_MIN_SIZE bytes (below about one network packet it saves no round trip).
    COMPRESS_REGISTER = False  # onestop/assets.py decides which responses go through it
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = int(os.environ.get("COMPRESS_MIN_SIZE", "1024"))
    COMPRESS_BR_LEVEL = 5
    COMPRESS_LEVEL = 6
    COMPRESS_STREAMS = False

    # Background work (Celery). Embedded default: a SQLite-backed broker, no server needed.
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.db'}")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "")
    CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)
    # How often beat re-queues outbox messages still unsent (and older than OUTBOX_RETRY_AFTER seconds).
    OUTBOX_SWEEP_INTERVAL = float(os.environ.get("OUTBOX_SWEEP_INTERVAL", "60"))
    OUTBOX_RETRY_AFTER = int(os.environ.get("OUTBOX_RETRY_AFTER", "60"))
    # Delivery (onestop/notifications/tasks.py): a message tried this many times goes to the dead letters;
    # a worker holds a message this many seconds while it talks to the channel (longer than any send takes);
    # retries wait a random time up to base × 2^attempt seconds, never more than the cap (full jitter).
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
    OUTBOX_CLAIM_SECONDS = int(os.environ.get("OUTBOX_CLAIM_SECONDS", "300"))
    OUTBOX_BACKOFF_BASE = float(os.environ.get("OUTBOX_BACKOFF_BASE", "30"))
    OUTBOX_BACKOFF_CAP = float(os.environ.get("OUTBOX_BACKOFF_CAP", "3600"))
    # Messages written in one transaction go to workers in tasks of up to this many (one claim, one SMTP
    # session); the claim's lease must cover a whole batch of slow sends.
    OUTBOX_BATCH_SIZE = int(os.environ.get("OUTBOX_BATCH_SIZE", "20"))
    # OTT official-account webhook (onestop/notifications/channels/ott.py); empty URL: no OTT channel.
    OTT_WEBHOOK_URL = os.environ.get("OTT_WEBHOOK_URL", "")
    OTT_WEBHOOK_SECRET = os.environ.get("OTT_WEBHOOK_SECRET", "")
    OTT_WEBHOOK_TIMEOUT = float(os.environ.get("OTT_WEBHOOK_TIMEOUT", "10"))

    # Catalogue.
    CATALOGUE_PAGE_SIZE = 20
    # How long each process may reuse the served province's row (name, colours, catalogue revision).
    PROVINCE_CACHE_SECONDS = float(os.environ.get("PROVINCE_CACHE_SECONDS", "5"))
    # Rendered public pages are kept for anonymous visitors (onestop/portal/cache.py); off only to measure.
    PAGE_CACHE_DISABLED = _bool("PAGE_CACHE_DISABLED", False)
    # Dashboard sums kept per process until the aggregation or a pack load changes them (dashboards/memo.py).
    DASHBOARD_MEMO_ENTRIES = int(os.environ.get("DASHBOARD_MEMO_ENTRIES", "128"))

    # Personal data warehouse. Blobs live under BLOB_DIR ("local") or in an S3-compatible bucket ("s3");
    # empty S3 keys leave boto3 to its own credential chain (instance roles).
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
    # The largest image accepted, in pixels (width × height, read from the header without decoding): 40 MP
    # keeps a phone's full-resolution photo of a paper and refuses 100-megapixel decompression bombs.
    UPLOAD_MAX_PIXELS = int(os.environ.get("UPLOAD_MAX_PIXELS", str(40_000_000)))
    # clamd scans every upload: a unix socket path or tcp://host:port; empty means no scanning. When set,
    # a file clamd cannot check is refused. clamd's StreamMaxLength must be at least UPLOAD_MAX_BYTES.
    CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "")
    CLAMD_TIMEOUT = float(os.environ.get("CLAMD_TIMEOUT", "30"))

    # Audit trail (docs/operations.md, "Audit trail"). With a key, each record's hash is an HMAC-SHA256 that
    # someone writing to the database cannot recompute; keep it out of the database and never change it.
    # Records numbered before AUDIT_CHAIN_KEY_SINCE were written without a key (set it when adding a key to
    # a running installation: the number after `flask audit head` at that moment).
    AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
    AUDIT_CHAIN_KEY_SINCE = int(os.environ.get("AUDIT_CHAIN_KEY_SINCE", "1"))

    # Help: "did this answer your question?" votes per client address (docs/operations.md, "Help search").
    HELP_VOTE_RATE_LIMIT = os.environ.get("HELP_VOTE_RATE_LIMIT", "20 per minute;100 per hour")
    # Help searches per client address: each one is stored for the admin's report, so a flood is refused.
    HELP_SEARCH_RATE_LIMIT = os.environ.get("HELP_SEARCH_RATE_LIMIT", "60 per minute;1000 per hour")

    # Feedback (docs/operations.md, "Feedback"): feedback sent, lookups and marks posted, per client address.
    FEEDBACK_RATE_LIMIT = os.environ.get("FEEDBACK_RATE_LIMIT", "10 per minute;60 per hour")

    # Filing: posts of uploads and submissions per client address.
    UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT", "30 per minute;300 per hour")
    # Surveys (docs/operations.md, "Surveys"): responses begun, and answer pages posted, per client address.
    # A counter tablet answers for many people from one address: keep the page limit generous.
    SURVEY_START_RATE_LIMIT = os.environ.get("SURVEY_START_RATE_LIMIT", "10 per minute;100 per hour")
    SURVEY_RATE_LIMIT = os.environ.get("SURVEY_RATE_LIMIT", "60 per minute;600 per hour")
    # Results shared per client address: each answer says whether an e-mail address has an account.
    SURVEY_SHARE_RATE_LIMIT = os.environ.get("SURVEY_SHARE_RATE_LIMIT", "10 per minute;50 per hour")
    # The largest request body read at all. Each file in it is cut one byte past UPLOAD_MAX_BYTES while it
    # streams in (datastore/uploads.py), so a file up to this size gets its form back with every typed field
    # and a message; only a larger body is refused outright with a 413 page.
    MAX_CONTENT_LENGTH = int(os.environ.get("REQUEST_MAX_BYTES", str(64 * 1024 * 1024)))

    # Payments (docs/operations.md, "Payments"). The defaults point at the mock gateway of `make demo`;
    # for the real VNPay set the host of both URLs and the merchant's code and secret.
    PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "vnpay")
    VNPAY_TMN_CODE = os.environ.get("VNPAY_TMN_CODE", vnpay.DEMO_TMN_CODE)
    VNPAY_HASH_SECRET = os.environ.get("VNPAY_HASH_SECRET", vnpay.DEMO_HASH_SECRET)
    VNPAY_PAY_URL = os.environ.get("VNPAY_PAY_URL", "http://127.0.0.1:5001/paymentv2/vpcpay.html")
    VNPAY_API_URL = os.environ.get("VNPAY_API_URL", "http://127.0.0.1:5001/merchant_webapi/api/transaction")
    VNPAY_API_TIMEOUT = float(os.environ.get("VNPAY_API_TIMEOUT", "15"))
    # How often beat re-queues refunds and receipts a crash left unfinished, in seconds.
    PAYMENT_SWEEP_INTERVAL = float(os.environ.get("PAYMENT_SWEEP_INTERVAL", "300"))
    # The daily reconciliation of yesterday's transactions, as an hour and minute of UTC (18:30 = 01:30 in Vietnam).
    PAYMENT_RECONCILE_UTC = os.environ.get("PAYMENT_RECONCILE_UTC", "18:30")
    # The daily e-mail to each agency's leaders listing files overdue or due by the next working day.
    DEADLINE_REMINDER_UTC = os.environ.get("DEADLINE_REMINDER_UTC", "00:30")
    # The staff's daily digest of notices (10:00 UTC = 17:00 in Vietnam, at the close of office).
    DIGEST_UTC = os.environ.get("DIGEST_UTC", "10:00")
    # The dashboards: yesterday's figures are replaced nightly at this UTC time; today's every N seconds.
    DASHBOARD_NIGHTLY_UTC = os.environ.get("DASHBOARD_NIGHTLY_UTC", "17:30")
    DASHBOARD_TODAY_INTERVAL = int(os.environ.get("DASHBOARD_TODAY_INTERVAL", "600"))

    # Remote signing (docs/operations.md, "Signing"): the CSC signing service (or a licensed provider speaking
    # CSC), the portal's client credentials there, the RFC 3161 TSA, and the roots (a PEM file) signers chain to.
    SIGNING_CSC_URL = os.environ.get("SIGNING_CSC_URL", "http://127.0.0.1:5003")
    SIGNING_CLIENT_ID = os.environ.get("SIGNING_CLIENT_ID", "onestop-portal")
    SIGNING_CLIENT_SECRET = os.environ.get("SIGNING_CLIENT_SECRET", "")
    SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "http://127.0.0.1:5004/province/tsa/tsa")
    SIGNING_TRUST_ROOTS = os.environ.get("SIGNING_TRUST_ROOTS", str(VAR_DIR / "pki" / "root.pem"))
    # A result's signing still pending after this long was left by a dead worker: it is marked failed.
    SIGNING_STALE_SECONDS = int(os.environ.get("SIGNING_STALE_SECONDS", "900"))
    # Seal the one-stop slips with the receiving agency's seal credential, after the commit (docs/operations.md,
    # "Verifying a document"); an agency without one issues its slips unsealed, as does SLIP_SEALING=0.
    SLIP_SEALING = _bool("SLIP_SEALING", True)
    # The public verification page: looks-ups and uploads per client address.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "20 per minute;200 per hour")


class DemoConfig(Config):
    """`make demo`: plain HTTP on loopback, local mailbox page, demo secrets allowed."""

    ONESTOP_DEMO = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    DEV_MAILBOX = True


def demo_public_url() -> str:
    """The demo serves on 127.0.0.1:PORT (Makefile, serve-demo), so its links point there too."""
    return f"http://127.0.0.1:{os.environ.get('PORT') or '5000'}"


def public_url_problem(config: Mapping) -> str | None:
    """What is wrong with PUBLIC_URL for serving real users, in words an operator can act on; None if nothing."""
    value = config.get("PUBLIC_URL") or ""
    parts = urlsplit(value)
    if not value:
        problem = "PUBLIC_URL is not set."
    elif parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        problem = f"PUBLIC_URL is {value!r}, which is not an address like https://dichvucong.example.gov.vn."
    else:
        return None
    return (
        f"{problem} Set it to the address citizens open this portal at, e.g. "
        "export PUBLIC_URL=https://dichvucong.example.gov.vn: every link in e-mails, SMS and slips, and the "
        "payment gateway's return, is built on it (docs/operations.md). `make demo` sets it from PORT."
    )


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    # No signing service runs beside most tests: tests/results turns sealing on with one.
    SLIP_SEALING = False
    CELERY_BROKER_URL = "memory://"
    PUBLIC_URL = "http://localhost"
    DEV_MAILBOX = True
    # Tests change the province between requests; tests/portal/test_province_snapshot.py turns it on.
    PROVINCE_CACHE_SECONDS = 0
    # Tests choose their own storage and scanner; a developer's environment must not leak in.
    STORAGE_BACKEND = "local"
    CLAMD_SOCKET = ""
    SMS_BACKEND = "outbox"
