"""Remote digital signing (issue 15): the signing service, the demo province PKI, signing and validating PDFs.

- `service`/`authority`/`storage`: the signing service, its own Flask app speaking CSC (keys live only there);
- `pki`: the demo PKI from certomancer (root, issuing CA, OCSP, CRL, TSA) and the signers enrolled since;
- `client`: the portal signs PDFs through pyHanko's CSC client; `validation`: a plain report on a signed PDF;
- `cli`: `flask --app wsgi signing enrol|revoke|code` for operators.
"""
