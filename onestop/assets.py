"""What goes over the wire: text compressed when it pays, assets kept by browsers for a year under a fingerprint.

Compression (Flask-Compress, brotli or gzip as the browser asks) applies to HTML, CSS, JavaScript, SVG
and JSON of at least COMPRESS_MIN_SIZE bytes. PDFs, images, archives and spreadsheets are already
compressed or not worth it, and attachments (a citizen's documents, data downloads) leave as stored.

Static files and the province's theme and logo are linked with `?v=<fingerprint>`, which `url_for`
adds by itself, so no template has to remember it. A request carrying the current fingerprint may be
kept for a year without asking again: a changed file gets a new address. Any other request (no
fingerprint, or an older one, as a page from another server of a rolling deploy may ask) gets the file
with `no-cache`, so a browser never pins a version under an address that names another.
"""

import hashlib
import os
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

from onestop.extensions import compress

if TYPE_CHECKING:
    from onestop.provinces.models import Province

FOREVER = "public, max-age=31536000, immutable"
_PROVINCE_ASSETS = {"portal.theme_css", "provinces.logo"}

_fingerprints: dict[str, tuple[tuple[int, int], str]] = {}


def static_fingerprint(filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, recomputed when its size or modification time changes."""
    path = safe_join(current_app.static_folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    signature = (stat.st_mtime_ns, stat.st_size)
    known = _fingerprints.get(path)
    if known is not None and known[0] == signature:
        return known[1]
    with open(path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()[:12]
    _fingerprints[path] = (signature, digest)
    return digest


def province_fingerprint(province: "Province") -> str:
    """The province's theme and logo change only when its pack is loaded."""
    return str(int(province.loaded_at.timestamp()))


def cache_if_current(response: Response, fingerprint: str | None) -> Response:
    """A year in every cache when the request named the current fingerprint; revalidate on every use otherwise."""
    if fingerprint is not None and request.args.get("v") == fingerprint:
        response.headers["Cache-Control"] = FOREVER
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


def _add_fingerprint(endpoint: str, values: dict) -> None:
    if "v" in values:
        return
    if endpoint == "static":
        fingerprint = static_fingerprint(values.get("filename", ""))
        if fingerprint is not None:
            values["v"] = fingerprint
    elif endpoint in _PROVINCE_ASSETS:
        from onestop.portal.context import current_province

        values["v"] = province_fingerprint(current_province())


def _static_cache(response: Response) -> Response:
    if request.endpoint == "static" and response.status_code in (200, 304):
        cache_if_current(response, static_fingerprint(request.view_args.get("filename", "")))
    return response


def _compress(response: Response) -> Response:
    if response.status_code != 200 or response.headers.get("Content-Disposition", "").startswith("attachment"):
        return response
    if response.direct_passthrough and response.mimetype in compress.compress_mimetypes_set:
        # Static files are sent as a stream; they are small, so read them to compress them as one piece.
        response.direct_passthrough = False
        response.make_sequence()
    return compress.after_request(response)


def init_app(app: Flask) -> None:
    compress.init_app(app)
    app.url_defaults(_add_fingerprint)
    # after_request functions run last-registered first: compression is registered before the caching headers,
    # so that it runs after them and sees the final response.
    app.after_request(_compress)
    app.after_request(_static_cache)
