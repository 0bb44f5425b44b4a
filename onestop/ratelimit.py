"""Where rate limits are counted: one store shared by every process, or a warning that it is not.

With the in-memory store each gunicorn worker counts on its own, so every new connection may land on
a fresh allowance. The store is chosen at start-up (docs/operations.md, "Rate limits"):
RATELIMIT_STORAGE_URI if set; else REDIS_URL, or the Celery broker when it is Redis; else the
database, through the small fixed-window store below (`limits` has none for SQL databases).
"""

import itertools
import time

from flask import Flask
from limits.storage import Storage
from sqlalchemy import Float, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db

DATABASE_STORE = "onestop-db://"
# Expired counters are deleted by one in this many increments of a process.
_PURGE_EVERY = 500


class RateLimitCounter(db.Model):
    """One fixed window of one limit for one client: hits so far, and when the window ends (epoch seconds)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class DatabaseStorage(Storage):
    """Fixed-window counters in the application's database, shared by every worker and machine.

    Each operation runs on a connection of its own and commits at once: a refused request (429)
    rolls its own session back, yet the hit must stay counted.
    """

    STORAGE_SCHEME = ["onestop-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._calls = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.engine.dialect.name](table)
        expired = table.c.expires_at <= now
        statement = (
            insert.values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    # One statement: two workers counting the same client at once both count.
                    "count": case((expired, amount), else_=table.c.count + amount),
                    "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.count)
        )
        with db.engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if next(self._calls) % _PURGE_EVERY == 0:
                connection.execute(delete(table).where(table.c.expires_at <= now))
        return count

    def _row(self, key: str):
        table = RateLimitCounter.__table__
        with db.engine.connect() as connection:
            return connection.execute(
                select(table.c.count, table.c.expires_at).where(table.c.key == key, table.c.expires_at > time.time())
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter.__table__).where(RateLimitCounter.__table__.c.key == key))


def storage_uri(config) -> str:
    """The rate-limit store for this configuration: explicit, else Redis when there is one, else the database."""
    if config.get("RATELIMIT_STORAGE_URI"):
        return config["RATELIMIT_STORAGE_URI"]
    for candidate in (config.get("REDIS_URL"), config.get("CELERY_BROKER_URL")):
        if candidate and candidate.startswith(("redis://", "rediss://")):
            return candidate
    return DATABASE_STORE


def init_app(app: Flask) -> None:
    """Resolve the store before Flask-Limiter reads it, and say so at start-up when limits are per process."""
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory://") and not app.testing:
        app.logger.warning(
            "Rate limits are counted per process (RATELIMIT_STORAGE_URI=memory://): with several gunicorn workers "
            "or servers each has its own allowance. Unset it to count in the database, or set it to a Redis URL "
            '(docs/operations.md, "Rate limits").'
        )
