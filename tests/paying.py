"""Paying through the HTTP test client and the real mock gateway, for every test that needs a fee paid.

The mock VNPay gateway is served on its own loopback port, its IPNs going to the served portal, and
the portal is pointed at it, exactly as in production; nothing is mocked.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import make_server

from onestop.payments import vnpay
from onestop.payments.gateway import create_gateway
from tests.conftest import login, submit
from tests.filing import fill_all_steps, pdf_bytes, send, upload

TMN_CODE = "PAYTEST1"
SECRET = "PAYMENTTESTSECRET0123456789ABCDEF"


@contextmanager
def serving(app):
    """`app` served by werkzeug on a free port of 127.0.0.1; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Gateway:
    url: str
    app: object

    @property
    def store(self):
        return self.app.extensions["vnpay_gateway"]["store"]


@contextmanager
def serve_gateway(app, portal_url: str, tmp_path, monkeypatch):
    """The mock gateway on its own port, its IPNs going to `portal_url`; the portal pointed at it.

    The portal's PUBLIC_URL is `portal_url`, where the gateway sends the payer's browser back.
    """
    gateway_app = create_gateway(
        {
            "TESTING": True,
            "GATEWAY_DB": str(tmp_path / "gateway.db"),
            "VNPAY_TMN_CODE": TMN_CODE,
            "VNPAY_HASH_SECRET": SECRET,
            "VNPAY_IPN_URL": f"{portal_url}/payments/vnpay/ipn",
            "GATEWAY_IPN_RETRIES": 2,
            "GATEWAY_IPN_RETRY_INTERVAL": 0.1,
            "GATEWAY_IPN_TIMEOUT": 10,
        }
    )
    with serving(gateway_app) as url:
        for key, value in {
            "VNPAY_TMN_CODE": TMN_CODE,
            "VNPAY_HASH_SECRET": SECRET,
            "VNPAY_PAY_URL": url + vnpay.PAY_PATH,
            "VNPAY_API_URL": url + vnpay.API_PATH,
            "PUBLIC_URL": portal_url,
        }.items():
            monkeypatch.setitem(app.config, key, value)
        yield Gateway(url=url, app=gateway_app)


def file_criminal_record(client, create_citizen, demo, copies: str = "2", **citizen) -> int:
    """A citizen files the criminal record certificate (fee at submission); returns the application id."""
    user = create_citizen(**citizen)
    login(client, user.email)
    application_id = fill_all_steps(client)
    if copies != "2":
        submit(
            client,
            f"/applications/{application_id}/steps/certificate",
            {"action": "continue", "kind": "1", "copies": copies, "purpose": "Xin viec"},
        )
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    response = send(client, application_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return application_id


def start_paying(client, application_id: int) -> dict[str, str]:
    """Press "Pay now"; returns the signed parameters of the gateway URL the portal redirected to."""
    response = submit(client, f"/applications/{application_id}/pay", {})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def gateway_result(params: dict[str, str], outcome: str = "success", **changes) -> dict[str, str]:
    """The signed result the gateway would send (IPN and return) for a payment request, as the mock builds it."""
    success = outcome == "success"
    result = {
        "vnp_Amount": params["vnp_Amount"],
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": params["vnp_OrderInfo"],
        "vnp_PayDate": params["vnp_CreateDate"],
        "vnp_ResponseCode": "00" if success else "24",
        "vnp_TmnCode": params["vnp_TmnCode"],
        "vnp_TransactionNo": "14000001" if success else "0",
        "vnp_TransactionStatus": "00" if success else "02",
        "vnp_TxnRef": params["vnp_TxnRef"],
    }
    result.update(changes)
    return result


def signed(result: dict[str, str], secret: str = SECRET) -> str:
    return vnpay.signed_query(result, secret)
