"""Names the filing pages keep per process (onestop.procedures.reference) follow a pack reload."""

import dataclasses

import pytest
from sqlalchemy import select

from onestop.datastore.models import Document
from onestop.extensions import db
from tests.conftest import login, outbox
from tests.filing import fill_all_steps, pdf_bytes, send, upload

POLICE = "000.00.02.H99"


@pytest.fixture
def signed_in(client, demo, create_citizen):
    login(client, create_citizen(full_name="Nguyễn Thị Mai", citizen_id="001190012345").email)
    return client


def file_one(client) -> tuple[Document, str]:
    """File the criminal record certificate; the uploaded document and the e-mail that confirms it."""
    application_id = fill_all_steps(client)
    assert upload(client, application_id, "the-can-cuoc", pdf_bytes()).status_code == 302
    assert send(client, application_id).headers["Location"] == f"/applications/{application_id}/receipt"
    document = db.session.scalars(select(Document).order_by(Document.id.desc())).first()
    return document, outbox("email")[-1].body


def renamed(pack):
    """The demo pack with new Vietnamese names for the police, the ID card and the procedure."""
    catalogue = pack.catalogue.model_copy(
        update={
            "document_types": [
                t.model_copy(update={"name": {**t.name, "vi": "Căn cước (tên mới)"}}) if t.code == "the-can-cuoc" else t
                for t in pack.catalogue.document_types
            ]
        }
    )
    agencies = [
        a.model_copy(update={"name": {**a.name, "vi": "Công an tỉnh (tên mới)"}}) if a.code == POLICE else a
        for a in pack.agencies
    ]
    procedures = [
        p.model_copy(update={"name": {**p.name, "vi": "Phiếu lý lịch tư pháp (tên mới)"}})
        if p.code == "MS.LLTP.01"
        else p
        for p in pack.procedures
    ]
    return dataclasses.replace(pack, catalogue=catalogue, agencies=agencies, procedures=procedures)


def test_new_names_from_a_reloaded_pack_reach_the_next_filing(signed_in, demo_pack):
    from onestop.provinces.services import apply_pack

    document, mail = file_one(signed_in)
    assert document.title == "Thẻ căn cước hoặc căn cước công dân"
    assert "Công an tỉnh Minh Sơn" in mail and "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam" in mail

    apply_pack(renamed(demo_pack))
    db.session.commit()

    document, mail = file_one(signed_in)
    assert document.title == "Căn cước (tên mới)"
    assert "Công an tỉnh (tên mới)" in mail and "Phiếu lý lịch tư pháp (tên mới)" in mail
    assert f"{POLICE}-" in mail  # The code still starts with the agency's code.


def test_a_cached_name_lasts_no_longer_than_the_province_snapshot(app, signed_in, demo_pack, monkeypatch):
    """With a province snapshot kept for a while, the names change when the snapshot is read again."""
    from onestop.portal.context import forget_province
    from onestop.provinces.services import apply_pack

    monkeypatch.setitem(app.config, "PROVINCE_CACHE_SECONDS", 3600)
    file_one(signed_in)
    apply_pack(renamed(demo_pack))
    db.session.commit()
    forget_province()  # What PROVINCE_CACHE_SECONDS passing does.
    _, mail = file_one(signed_in)
    assert "Công an tỉnh (tên mới)" in mail
