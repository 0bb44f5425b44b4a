"""The specialist drafts the result from the pack's template; the pack's template is checked at file and line."""

import hashlib
import re
import shutil
import subprocess

import pytest
from flask_babel import force_locale

from onestop.provinces.pack import PackInvalid, read_pack
from tests.conftest import DEMO_PACK
from tests.results.conftest import form_token


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "draft.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_draft_is_filled_from_the_answers_corrected_and_rendered(awaiting, tmp_path):
    _citizen, application_id, clients = awaiting
    specialist = clients["leader"]  # the specialist proposed; now the leader may correct before signing
    url = f"/office/applications/{application_id}/result/draft"
    page = specialist.get(url).get_data(as_text=True)
    assert 'value="Nguyễn Thị Mai"' in page and "Không có án tích" in page

    # A required field emptied: a message at the field, everything typed kept, nothing saved.
    typed = {"csrf_token": form_token(page), "certificate_number": "1", "reference": "15/LLTP", "full_name": "X"}
    typed |= {"gender": "Nữ", "birth_date": "01/02/1990", "address": "Phường 1", "record_status": "", "bans": "Không"}
    response = specialist.post(url, data=typed)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hãy điền mục này" in body
    assert 'value="15/LLTP"' in body and 'href="#field-record_status"' in body
    assert specialist.get(f"{url[:-6]}/draft.pdf").status_code == 404

    typed["record_status"] = "Không có án tích"
    assert specialist.post(url, data=typed).status_code == 302
    page = specialist.get(url).get_data(as_text=True)
    pdf = specialist.get(f"{url[:-6]}/draft.pdf").data
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() in page
    code = re.search(r'<span class="code">([A-Z0-9-]+)</span>', page)[1]
    text = _pdf_text(pdf, tmp_path)
    for words in (
        "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1",
        "15/LLTP",
        "Không có án tích",
        code,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ):
        assert words in text, words


def test_staff_of_another_agency_cannot_see_the_draft(awaiting):
    _citizen, application_id, clients = awaiting
    assert clients["other_leader"].get(f"/office/applications/{application_id}/result/draft").status_code == 404


@pytest.fixture
def pack(tmp_path):
    copy = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, copy)
    return copy


def _problems(path):
    with pytest.raises(PackInvalid) as caught, force_locale("en"):
        read_pack(path)
    return [(p.file, p.line, p.message) for p in caught.value.problems]


def test_a_template_using_an_undeclared_field_is_reported_at_its_line(pack):
    template = pack / "results" / "criminal-record-certificate.html"
    template.write_text(template.read_text().replace("{{ fields.bans }}", "{{ fields.banz }}"))
    [(file, line, message)] = _problems(pack)
    assert file == "results/criminal-record-certificate.html" and line == 12
    assert "banz" in message


def test_a_missing_template_and_an_unknown_answer_are_reported(pack):
    procedure = pack / "procedures" / "criminal-record-certificate.yaml"
    text = procedure.read_text()
    text = text.replace("file: results/criminal-record-certificate.html", "file: results/nothing.html")
    procedure.write_text(text.replace("source: birth_date}", "source: born_on}"))
    problems = _problems(pack)
    assert any(p[0] == "procedures/criminal-record-certificate.yaml" and "missing" in p[2] for p in problems)


def test_a_template_that_does_not_parse_is_reported_at_its_line(pack):
    template = pack / "results" / "birth-registration.html"
    template.write_text(template.read_text().replace("{{ fields.child_name }}", "{{ fields.child_name }"))
    [(file, line, _message)] = _problems(pack)
    assert (file, line) == ("results/birth-registration.html", 4)
