"""Entry point of the mock VNPay gateway for gunicorn: `gunicorn wsgi_gateway:app` (see docs/operations.md)."""

from onestop.payments.gateway import create_gateway

app = create_gateway()
