"""Rendered public pages kept for visitors who are not signed in.

The catalogue only changes when a pack loads, and its ordering when filing counts are re-read, so
the same search gives every anonymous visitor the same page. Keeping the HTML per catalogue state,
language and address spares the rendering, which costs more than the search itself. Signed-in
users, pages carrying a one-time message, and anything but GET always get a fresh page.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from flask import current_app, request, session
from flask_login import current_user

from onestop.i18n import current_language
from onestop.portal.context import current_province

MAX_BYTES = 16 * 1024 * 1024

_pages: OrderedDict[tuple, tuple[bytes, int]] = OrderedDict()
_size = 0
_lock = threading.Lock()


def forget_pages() -> None:
    global _size
    with _lock:
        _pages.clear()
        _size = 0


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_app.config.get("PAGE_CACHE_DISABLED")
        and not current_user.is_authenticated
        and not session.get("_flashes")
    )


def cached_for_visitors(view: Callable) -> Callable:
    from onestop.procedures.search import catalogue_index, filing_counts

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        province = current_province()
        catalogue_index(province)
        key = (
            province.id,
            province.catalogue_revision,
            province.loaded_at,
            id(filing_counts(province)),
            current_language(),
            request.full_path,
        )
        hit = _pages.get(key)
        if hit is not None:
            with _lock:
                _pages.move_to_end(key)
            body, status = hit
            return current_app.response_class(body, status=status, mimetype="text/html")
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code in (200, 404) and response.mimetype == "text/html" and not response.direct_passthrough:
            _remember(key, response.get_data(), response.status_code)
        return response

    return wrapper


def _remember(key: tuple, body: bytes, status: int) -> None:
    global _size
    with _lock:
        if key in _pages:
            return
        _pages[key] = (body, status)
        _size += len(body)
        while _size > MAX_BYTES and _pages:
            _old_key, (old_body, _status) = _pages.popitem(last=False)
            _size -= len(old_body)
