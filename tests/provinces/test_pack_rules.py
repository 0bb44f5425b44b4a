"""Rules added on top of the schema: readable colours, sane hours, no silently repeated keys or stray files."""

import shutil

import pytest

from onestop.provinces.pack import PackInvalid, read_pack
from onestop.provinces.pack_schema import contrast_with_white
from tests.conftest import DEMO_PACK


@pytest.fixture
def pack(tmp_path):
    copy = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, copy)
    return copy


def problems_of(path) -> list[tuple[str, int]]:
    with pytest.raises(PackInvalid) as caught:
        read_pack(path)
    return [(p.file, p.line) for p in caught.value.problems]


def replace(path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_contrast_is_computed_as_wcag_says():
    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#ffffff"), 1) == 1.0
    assert round(contrast_with_white("#0b4f8a"), 1) >= 4.5


def test_a_colour_too_light_for_white_text_is_refused(pack):
    text = replace(pack / "province.yaml", 'primary_colour: "#0b4f8a"', 'primary_colour: "#7fb3ff"')
    assert problems_of(pack) == [("province.yaml", line_of(text, "primary_colour"))]


def test_a_working_period_must_end_after_it_starts(pack):
    text = replace(pack / "province.yaml", '{start: "13:30", end: "17:00"}', '{start: "17:00", end: "13:30"}')
    assert problems_of(pack) == [("province.yaml", line_of(text, '{start: "17:00"'))]


def test_an_unknown_time_zone_is_refused(pack):
    text = replace(pack / "province.yaml", "timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Hanoi_City")
    assert problems_of(pack) == [("province.yaml", line_of(text, "timezone"))]


def test_a_key_written_twice_is_reported_not_silently_dropped(pack):
    path = pack / "procedures" / "birth-registration.yaml"
    text = replace(path, "sector: ho-tich\n", "sector: ho-tich\nsector: cu-tru\n")
    assert problems_of(pack) == [("procedures/birth-registration.yaml", line_of(text, "sector: cu-tru"))]


def test_stray_procedure_files_are_reported(pack):
    (pack / "procedures" / "extra.yml").write_text("code: X\n", encoding="utf-8")
    (pack / "procedures" / "old").mkdir()
    (pack / "procedures" / "old" / "kept.yaml").write_text("code: Y\n", encoding="utf-8")
    assert problems_of(pack) == [("procedures/extra.yml", 1), ("procedures/old/kept.yaml", 1)]


def test_staff_phones_are_normalised_and_unique(pack):
    text = replace(
        pack / "staff.yaml",
        "{email: admin@minhson.example, full_name: Trần Thị Hà, role: province_admin}",
        '{email: admin@minhson.example, full_name: Trần Thị Hà, role: province_admin, phone: "+84 912 000 111"}\n'
        '  - {email: phu@minhson.example, full_name: Phùng Văn Phú, role: province_admin, phone: "0912 000 111"}',
    )
    assert problems_of(pack) == [("staff.yaml", line_of(text, "phu@minhson.example"))]


def test_text_longer_than_its_column_is_refused_before_loading(pack):
    text = replace(
        pack / "agencies.yaml",
        'kind: police\n    parent: "000.00.00.H99"',
        "kind: " + "x" * 41 + '\n    parent: "000.00.00.H99"',
    )
    assert problems_of(pack) == [("agencies.yaml", line_of(text, "x" * 41))]


def messages_of(path) -> list[tuple[str, int, str]]:
    with pytest.raises(PackInvalid) as caught:
        read_pack(path)
    return [(p.file, p.line, p.message) for p in caught.value.problems]


def test_fees_must_count_and_depend_on_questions_the_form_asks(app, pack):
    path = pack / "procedures" / "criminal-record-certificate.yaml"
    replace(path, "per: {field: copies, beyond: 2}", "per: {field: purpose, beyond: 2}")
    text = replace(path, "when: {field: fee_category, equals: exempt}", "when: {field: category, equals: exempt}")
    name = "procedures/criminal-record-certificate.yaml"
    with app.test_request_context():
        assert messages_of(pack) == [
            (name, line_of(text, "per: {field: purpose"), "Phí chỉ có thể tính theo một câu hỏi dạng số."),
            (
                name,
                line_of(text, "when: {field: category"),
                "Phí chỉ có thể phụ thuộc vào một câu hỏi trong biểu mẫu của thủ tục này.",
            ),
        ]


def test_an_exemption_with_two_effects_and_a_fractional_amount_are_refused(app, pack):
    path = pack / "procedures" / "criminal-record-certificate.yaml"
    replace(path, "      free: true\n", "      free: true\n      reduction_percent: 50\n")
    text = replace(path, "amount: 5000\n", "amount: 5000.5\n")
    name = "procedures/criminal-record-certificate.yaml"
    with app.test_request_context():
        found = messages_of(pack)
    assert found == [
        (name, line_of(text, "5000.5"), "Giá trị này phải là số nguyên."),
        (
            name,
            line_of(text, "    - id: exempt"),
            "Mỗi đối tượng miễn, giảm cần đúng một trong: free, reduction_percent, fixed_amount.",
        ),
    ]
