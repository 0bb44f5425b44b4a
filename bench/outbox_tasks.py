"""The engine's ceiling for bench/outbox.py: a Celery task that does nothing but count itself.

Loaded into the same worker as the delivery tasks (`celery -A onestop.worker worker -I bench.outbox_tasks`),
so both run with the same pool, prefetch, acknowledgement and broker settings.
"""

import os

import redis
from celery import shared_task

_counter = redis.Redis.from_url(os.environ.get("BENCH_COUNTER_URL", "redis://127.0.0.1:6379/13"))
COUNTER_KEY = "bench-outbox-noop"


@shared_task(name="bench.outbox_tasks.noop")
def noop() -> None:
    _counter.incr(COUNTER_KEY)
