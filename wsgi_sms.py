"""Entry point of the mock SMS gateway for gunicorn: `gunicorn wsgi_sms:app` (see docs/operations.md, "SMS")."""

from onestop.sms_gateway import create_sms_gateway

app = create_sms_gateway()
