"""Celery beat jobs: yesterday's figures once a night, today's every few minutes (both idempotent)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from sqlalchemy import select

from onestop import localtime
from onestop.extensions import db
from onestop.provinces.models import Province


def _each_province(offset_days: int) -> int:
    from onestop.dashboards.aggregate import aggregate_day

    done = 0
    for province in db.session.scalars(select(Province)).all():
        aggregate_day(province, localtime.today(province) - timedelta(days=offset_days))
        db.session.commit()
        done += 1
    return done


@shared_task
def aggregate_yesterday() -> int:
    """Replace yesterday's figures for every province (the night after a day, when it cannot change much)."""
    return _each_province(1)


@shared_task
def aggregate_today() -> int:
    """Bring today's figures up to date (the pages show today's as of this job's last run)."""
    return _each_province(0)
