"""Entry point of the demo province PKI (certomancer: TSA, OCSP, CRL) for gunicorn: `gunicorn wsgi_pki:app`."""

from onestop.signing.pki import PkiServer, demo_pki_from_env

app = PkiServer(demo_pki_from_env())
