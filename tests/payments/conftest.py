"""Payment tests' servers: the portal and the mock VNPay gateway, both over real HTTP on loopback."""

import pytest

from tests.paying import SECRET, TMN_CODE, serve_gateway, serving


@pytest.fixture
def portal_url(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def gateway(app, portal_url, tmp_path, monkeypatch):
    with serve_gateway(app, portal_url, tmp_path, monkeypatch) as gateway:
        yield gateway


@pytest.fixture
def merchant_config(app, monkeypatch):
    """Only the merchant's code and secret, for tests that sign notifications as the gateway would."""
    monkeypatch.setitem(app.config, "VNPAY_TMN_CODE", TMN_CODE)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", SECRET)
