"""`flask signing enrol|revoke`: the portal asks the service for a key and certificate and keeps none itself."""

import base64
import re

from asn1crypto import x509
from sqlalchemy import inspect, select, text

from onestop.accounts.models import Role
from onestop.extensions import db

AGENCY_CODE = "000.00.30.H99"


def _point_at_service(app, monkeypatch, signing_world):
    monkeypatch.setitem(app.config, "SIGNING_CSC_URL", signing_world.settings.csc_url)
    monkeypatch.setitem(app.config, "SIGNING_CLIENT_SECRET", signing_world.settings.client_secret)


def _portal_rows_as_text() -> str:
    """Every row of the portal's own tables (the service's may share the database in a test run)."""
    dump = []
    with db.engine.connect() as conn:
        portal_tables = set(db.metadata.tables) & set(inspect(conn).get_table_names())
        for table in sorted(portal_tables):
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                dump.append(repr(tuple(row)))
    return "\n".join(dump)


def test_enrol_gives_a_staff_member_a_certified_key_held_by_the_service(app, monkeypatch, signing_world, create_staff):
    from onestop.provinces.models import Agency

    _point_at_service(app, monkeypatch, signing_world)
    leader = create_staff(role=Role.LEADER, agency_code=AGENCY_CODE, full_name="Phạm Thị Hằng")
    result = app.test_cli_runner().invoke(args=["signing", "enrol", leader.email])
    assert result.exit_code == 0, result.output
    uri = re.search(r"otpauth://totp/\S+", result.output).group(0)
    assert "secret=" in uri

    listed = signing_world.post("csc/v1/credentials/list", {"userID": f"staff:{leader.id}"}).json()["credentialIDs"]
    assert len(listed) == 1 and listed[0] in result.output
    info = signing_world.post("csc/v1/credentials/info", {"credentialID": listed[0]}).json()
    subject = x509.Certificate.load(base64.b64decode(info["cert"]["certificates"][0])).subject.native
    agency = db.session.scalar(select(Agency).where(Agency.code == AGENCY_CODE))
    assert subject["common_name"] == "Phạm Thị Hằng"
    assert subject["organization_name"] == agency.name["vi"]
    assert subject["country_name"] == "VN"

    # The portal keeps neither the key nor the TOTP secret.
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    portal = _portal_rows_as_text()
    assert secret not in portal and "PRIVATE KEY" not in portal and listed[0] not in portal


def test_enrol_refuses_an_unknown_account_and_revoke_stops_a_credential(app, monkeypatch, signing_world, create_staff):
    _point_at_service(app, monkeypatch, signing_world)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["signing", "enrol", "nobody@minhson.example"]).exit_code != 0

    leader = create_staff(role=Role.LEADER, agency_code=AGENCY_CODE)
    assert runner.invoke(args=["signing", "enrol", str(leader.id), "--otp", "oob"]).exit_code == 0
    credential = signing_world.post("csc/v1/credentials/list", {"userID": f"staff:{leader.id}"}).json()[
        "credentialIDs"
    ][0]
    assert runner.invoke(args=["signing", "revoke", credential]).exit_code == 0
    info = signing_world.post("csc/v1/credentials/info", {"credentialID": credential}).json()
    assert info["cert"]["status"] == "revoked" and info["key"]["status"] == "disabled"


def test_enrol_a_seal_for_the_one_stop_department(app, monkeypatch, signing_world, demo):
    _point_at_service(app, monkeypatch, signing_world)
    one_stop = "000.00.01.H99"
    result = app.test_cli_runner().invoke(args=["signing", "enrol", "--seal", one_stop])
    assert result.exit_code == 0, result.output
    listed = signing_world.post("csc/v1/credentials/list", {"userID": f"seal:{one_stop}"}).json()["credentialIDs"]
    info = signing_world.post("csc/v1/credentials/info", {"credentialID": listed[0]}).json()
    subject = x509.Certificate.load(base64.b64decode(info["cert"]["certificates"][0])).subject.native
    assert subject["common_name"] == "Trung tâm Phục vụ hành chính công tỉnh Minh Sơn"
    assert subject["locality_name"] == "Tỉnh Minh Sơn"


def test_a_citizen_gets_a_certificate_of_their_own_bound_to_no_agency(app, monkeypatch, signing_world, create_citizen):
    _point_at_service(app, monkeypatch, signing_world)
    citizen = create_citizen(full_name="Đỗ Thị Mai")
    assert app.test_cli_runner().invoke(args=["signing", "enrol", citizen.email]).exit_code == 0
    listed = signing_world.post("csc/v1/credentials/list", {"userID": f"citizen:{citizen.id}"}).json()["credentialIDs"]
    info = signing_world.post("csc/v1/credentials/info", {"credentialID": listed[0]}).json()
    subject = x509.Certificate.load(base64.b64decode(info["cert"]["certificates"][0])).subject.native
    assert subject["common_name"] == "Đỗ Thị Mai" and "organization_name" not in subject
