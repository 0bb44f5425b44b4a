"""Absolute links to this portal, for e-mails, SMS, slips' QR codes and the payment gateway's return.

They are built on PUBLIC_URL, never on the host a request came in on: a worker has no request, and
behind a proxy the request's host is an internal one. The demo derives PUBLIC_URL from PORT; anywhere
else the operator sets it, and the app does not start without it (onestop/config.py).
"""

from flask import current_app, has_request_context, url_for


def public_link(endpoint: str, **values) -> str:
    """PUBLIC_URL followed by the endpoint's path, in a request or in a worker alike."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return base + url_for(endpoint, **values)
