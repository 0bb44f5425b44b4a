"""Entry point of the signing service for gunicorn: `gunicorn wsgi_signing:app` (see docs/operations.md, "Signing")."""

from onestop.signing.service import create_signing_app

app = create_signing_app()
