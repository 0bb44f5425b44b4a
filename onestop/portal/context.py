import threading
import time

from flask import current_app, g

from onestop.extensions import db
from onestop.provinces.models import Province
from onestop.provinces.services import served_province

_snapshots: dict[str, tuple[float, Province]] = {}
_lock = threading.Lock()


def current_province() -> Province:
    """The served province, read once per request, and at most every PROVINCE_CACHE_SECONDS per process.

    Every page shows the province's name and colours; re-reading it on each request was a database
    round trip on the hottest path. The snapshot is detached from the session: read its columns only.
    A pack load is therefore seen by each process within PROVINCE_CACHE_SECONDS.
    """
    if "province" in g:
        return g.province
    seconds = current_app.config["PROVINCE_CACHE_SECONDS"]
    key = current_app.config["PROVINCE"] or ""
    cached = _snapshots.get(key)
    now = time.monotonic()
    if seconds and cached is not None and now - cached[0] < seconds:
        g.province = cached[1]
        return g.province
    province = served_province()
    if seconds:
        db.session.expunge(province)
        with _lock:
            _snapshots[key] = (now, province)
    g.province = province
    return province


def forget_province() -> None:
    with _lock:
        _snapshots.clear()
