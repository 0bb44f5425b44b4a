"""The portal's brand-name SMS sender against the real mock gateway on loopback: ids, idempotency, refusals."""

import json
import time
import urllib.error
import urllib.request

import pytest

from onestop.extensions import db
from onestop.notifications import sms_protocol
from onestop.notifications.channels import DeliveryError, KeepInOutbox, MessageRefused
from onestop.notifications.channels.sms import BrandnameSmsSender, SmsDisabled, sms_sender_from_config
from onestop.notifications.models import Channel
from onestop.notifications.outbox import queue_message
from onestop.sms_gateway import create_sms_gateway
from tests.conftest import free_port
from tests.paying import serving
from tests.texting import ACCOUNT, BRANDNAME, SECRET, mark_sent, serve_sms_gateway, sms_row, wait_for


@pytest.fixture
def portal_url(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def gateway(app, portal_url, tmp_path, monkeypatch):
    with serve_sms_gateway(app, portal_url, tmp_path, monkeypatch) as gateway:
        yield gateway


def _sender(app) -> BrandnameSmsSender:
    sender = sms_sender_from_config(app.config)
    assert isinstance(sender, BrandnameSmsSender)
    return sender


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _request(**changes) -> bytes:
    fields = {"brandname": BRANDNAME, "phone": "84912345678", "message": "Xin chao", "client_message_id": "t-1"}
    return json.dumps({**fields, **changes}).encode()


def test_the_sender_gets_the_providers_message_id_and_the_gateway_page_lists_the_message(app, demo, gateway):
    row = sms_row("0912 345 678", "Hồ sơ MS-2026-0001 đã được tiếp nhận, hẹn trả ngày 10/12/2026.")
    message_id = _sender(app).send(row)
    assert message_id.startswith("BN")
    [sent] = gateway.messages()
    assert sent["message_id"] == message_id and sent["client_message_id"] == f"outbox-{row.id}"
    assert (sent["phone"], sent["brandname"], sent["encoding"], sent["segments"]) == (
        "84912345678",
        BRANDNAME,
        "UCS-2",
        1,
    )
    page = urllib.request.urlopen(gateway.url + "/sms/messages", timeout=5).read().decode()
    assert "THỬ NGHIỆM" in page and "TEST" in page
    assert "84912345678" in page and BRANDNAME in page and "hẹn trả ngày 10/12/2026" in page


def test_a_repeated_send_with_the_same_client_id_sends_nothing_twice(app, demo, gateway):
    row = sms_row()
    first = _sender(app).send(row)
    mark_sent(row, first)
    # A worker died after the provider took the message but before the row said so: the retry sends it again.
    again = _sender(app).send(row)
    assert again == first
    assert len(gateway.messages()) == 1
    assert wait_for(lambda: gateway.messages()[0]["report_state"] == "acknowledged")
    time.sleep(0.3)
    # One handset delivery, so one report: the repeat started nothing.
    assert [attempt["attempt"] for attempt in gateway.store.listing()["report_attempts"]] == [1]


def test_a_client_id_reused_for_another_text_is_refused(app, demo, gateway):
    headers = sms_protocol.signed_headers(ACCOUNT, SECRET, body := _request())
    assert _post(gateway.send_url, body, headers)[0] == 200
    other = _request(message="Noi dung khac")
    status, answer = _post(gateway.send_url, other, sms_protocol.signed_headers(ACCOUNT, SECRET, other))
    assert (status, answer["code"]) == (409, sms_protocol.ID_REUSED)
    assert len(gateway.messages()) == 1


@pytest.mark.parametrize(
    ("account", "secret", "now", "status", "code"),
    [
        (ACCOUNT, "not-the-secret", None, 401, sms_protocol.BAD_SIGNATURE),
        ("SOMEONE", SECRET, None, 401, sms_protocol.BAD_SIGNATURE),
        (ACCOUNT, SECRET, time.time() - 3600, 401, sms_protocol.STALE_TIMESTAMP),
        (ACCOUNT, SECRET, time.time() + 3600, 401, sms_protocol.STALE_TIMESTAMP),
    ],
)
def test_the_gateway_refuses_forged_and_stale_requests(gateway, account, secret, now, status, code):
    body = _request()
    answer = _post(gateway.send_url, body, sms_protocol.signed_headers(account, secret, body, now=now))
    assert answer[0] == status and answer[1]["code"] == code
    assert gateway.messages() == []


def test_the_gateway_refuses_a_body_changed_after_signing(gateway):
    headers = sms_protocol.signed_headers(ACCOUNT, SECRET, _request())
    status, answer = _post(gateway.send_url, _request(phone="84987654321"), headers)
    assert (status, answer["code"]) == (401, sms_protocol.BAD_SIGNATURE)
    assert gateway.messages() == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", sms_protocol.BAD_REQUEST),
        (_request(message=""), sms_protocol.BAD_REQUEST),
        (_request(client_message_id="with space"), sms_protocol.BAD_REQUEST),
        (_request(brandname="NOT-OURS"), sms_protocol.UNKNOWN_BRANDNAME),
        (_request(phone="0912345678"), sms_protocol.BAD_PHONE),
        (_request(phone="+84912345678"), sms_protocol.BAD_PHONE),
        (_request(phone="84243825123"), sms_protocol.BAD_PHONE),
        (_request(message="x" * (153 * 10 + 1)), sms_protocol.TOO_LONG),
    ],
)
def test_the_gateway_refuses_malformed_requests(gateway, body, code):
    status, answer = _post(gateway.send_url, body, sms_protocol.signed_headers(ACCOUNT, SECRET, body))
    assert (status, answer["code"]) == (400, code)
    assert gateway.messages() == []


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # the euro sign takes two septets
        ("€" * 81, "GSM-7", 2),
        ("ệ" * 70, "UCS-2", 1),
        ("ệ" * 71, "UCS-2", 2),
        ("Hồ sơ đã được tiếp nhận" + "a" * 112, "UCS-2", 3),  # 135 UTF-16 units: 67 + 67 + 1,
    ],
)
def test_the_gateway_counts_and_reports_segments(app, demo, gateway, text, encoding, segments):
    body = _request(message=text)
    status, answer = _post(gateway.send_url, body, sms_protocol.signed_headers(ACCOUNT, SECRET, body))
    assert status == 200 and (answer["encoding"], answer["segments"]) == (encoding, segments)
    assert sms_protocol.segment_count(text) == segments


def test_a_number_that_is_not_a_mobile_is_refused_before_anything_is_sent(app, demo, gateway):
    with pytest.raises(MessageRefused, match="not a Vietnamese mobile number"):
        _sender(app).send(sms_row("0243 825 123"))
    assert gateway.messages() == []


def test_an_unregistered_brand_name_or_a_wrong_secret_is_retried_not_dropped(app, demo, gateway, monkeypatch):
    row = sms_row()
    monkeypatch.setitem(app.config, "SMS_BRAND_NAME", "NOT-OURS")
    with pytest.raises(DeliveryError, match="code '22'"):
        _sender(app).send(row)
    monkeypatch.setitem(app.config, "SMS_BRAND_NAME", BRANDNAME)
    monkeypatch.setitem(app.config, "SMS_SECRET", "wrong")
    with pytest.raises(DeliveryError, match="HTTP 401"):
        _sender(app).send(row)
    assert gateway.messages() == []


def test_a_gateway_that_does_not_answer_is_a_temporary_failure(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "brandname")
    monkeypatch.setitem(app.config, "SMS_API_URL", f"http://127.0.0.1:{free_port()}{sms_protocol.SEND_PATH}")
    with pytest.raises(DeliveryError, match="unreachable"):
        _sender(app).send(sms_row())


def test_sms_backend_picks_the_sender():
    assert isinstance(sms_sender_from_config({"SMS_BACKEND": "outbox"}), KeepInOutbox)
    assert isinstance(sms_sender_from_config({"SMS_BACKEND": "disabled"}), SmsDisabled)
    with pytest.raises(RuntimeError, match="unknown SMS_BACKEND 'carrier-pigeon'"):
        sms_sender_from_config({"SMS_BACKEND": "carrier-pigeon"})


def test_the_outbox_delivers_an_sms_through_the_gateway(app, demo, gateway):
    message = queue_message(Channel.SMS, "0912 345 678", "Ma xac nhan cua ban: 123456")
    db.session.commit()  # after commit, the (eager) task hands it to the configured sender
    [sent] = gateway.messages()
    assert sent["client_message_id"] == f"outbox-{message.id}" and sent["text"] == "Ma xac nhan cua ban: 123456"
    assert (sent["encoding"], sent["segments"]) == ("GSM-7", 1)


def test_the_demo_gateway_reports_to_the_portal_on_its_port(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("SMS_CALLBACK_URL", raising=False)
    monkeypatch.setenv("PORT", "5100")
    demo_gateway = create_sms_gateway({"SMS_GATEWAY_DB": str(tmp_path / "sms.db")})
    assert demo_gateway.config["SMS_CALLBACK_URL"] == "http://127.0.0.1:5100/notifications/sms/delivery-report"
    monkeypatch.setenv("PUBLIC_URL", "https://dichvucong.example.gov.vn/")
    real = create_sms_gateway({"SMS_GATEWAY_DB": str(tmp_path / "sms.db")})
    assert real.config["SMS_CALLBACK_URL"] == "https://dichvucong.example.gov.vn/notifications/sms/delivery-report"


def test_a_text_too_long_for_the_provider_is_refused_for_good(app, demo, gateway):
    with pytest.raises(MessageRefused, match="code '23'"):
        _sender(app).send(sms_row(body="Thông báo " * 80))
    assert gateway.messages() == []
