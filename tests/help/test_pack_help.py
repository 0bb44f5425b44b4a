"""help.yaml in the pack: abbreviations and the guide are checked with the pack, each problem with its file and line."""

import shutil

import pytest

from onestop.provinces.pack import PackInvalid, read_pack
from tests.conftest import DEMO_PACK


@pytest.fixture
def pack(tmp_path):
    copy = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, copy)
    return copy


def replace(path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def messages_of(app, path) -> list[tuple[str, int, str]]:
    with app.test_request_context(), pytest.raises(PackInvalid) as caught:
        read_pack(path)
    return [(p.file, p.line, p.message) for p in caught.value.problems]


def test_the_demo_pack_declares_abbreviations_and_a_guide(demo_pack):
    shorts = {entry.short for entry in demo_pack.help.abbreviations}
    assert {"CCCD", "CMND", "GPLX", "LLTP", "HKD", "ho chieu"} <= shorts
    assert demo_pack.help.guide[0].id == "event"


def test_a_pack_without_help_yaml_is_fine(pack):
    (pack / "help.yaml").unlink()
    assert read_pack(pack).help.abbreviations == []


def test_an_abbreviation_listed_twice_is_reported_where_the_second_one_is(app, pack):
    text = replace(pack / "help.yaml", "  - short: GKS\n", "  - short: cccd\n")
    assert messages_of(app, pack) == [
        ("help.yaml", line_of(text, "short: cccd"), "Từ viết tắt “cccd” được khai báo hai lần; hãy giữ lại một mục.")
    ]


def test_an_abbreviation_without_meanings_is_reported(app, pack):
    text = replace(pack / "help.yaml", "means: [bảo hiểm y tế, health insurance]", "means: []")
    assert messages_of(app, pack) == [("help.yaml", line_of(text, "means: []"), "Giá trị này không được để trống.")]


def test_an_answer_leading_to_an_unknown_question_is_reported(app, pack):
    text = replace(pack / "help.yaml", "next: baby", "next: babies")
    assert messages_of(app, pack) == [
        ("help.yaml", line_of(text, "next: babies"), "Phần hướng dẫn không có câu hỏi “babies”."),
        # With its only link broken, the second question is no longer reached.
        (
            "help.yaml",
            line_of(text, "- id: baby"),
            "Không có câu trả lời nào dẫn đến câu hỏi “baby”; hãy liên kết nó từ một câu hỏi khác hoặc xóa đi.",
        ),
    ]


def test_removing_a_procedure_the_guide_names_keeps_the_pack_valid(pack):
    # The guide leaves the answer out and the admin's report lists it (tests/help/test_guide.py).
    (pack / "procedures" / "criminal-record-certificate.yaml").unlink()
    assert read_pack(pack).help.guide[0].options[3].procedures == ["MS.LLTP.01"]


def test_an_answer_with_both_a_next_question_and_procedures_is_reported(app, pack):
    text = replace(pack / "help.yaml", "        next: baby\n", '        next: baby\n        procedures: ["1.001193"]\n')
    assert messages_of(app, pack) == [
        (
            "help.yaml",
            line_of(text, 'answer: {vi: "Gia đình tôi vừa có em bé"'),
            "Mỗi câu trả lời dẫn đến một câu hỏi tiếp theo (next) hoặc đến các thủ tục (procedures), "
            "chỉ một trong hai.",
        )
    ]


def test_a_guide_that_goes_round_in_a_loop_is_reported(app, pack):
    only_birth = '      - answer: {vi: "Chỉ cần Giấy khai sinh", en: "Only the birth certificate"}\n'
    leads = '        procedures: ["1.001193"]'
    text = replace(pack / "help.yaml", only_birth + leads, only_birth + "        next: event")
    assert messages_of(app, pack) == [
        ("help.yaml", line_of(text, "- id: event"), "Phần hướng dẫn bị lặp vòng: event → baby → event.")
    ]


def test_a_misspelt_setting_is_reported_in_plain_words(app, pack):
    text = replace(pack / "help.yaml", "  - short: HKD\n", "  - shrt: HKD\n")
    line = line_of(text, "shrt: HKD")
    assert messages_of(app, pack) == [
        ("help.yaml", line, "Mục “short” là bắt buộc ở đây."),
        ("help.yaml", line, "“shrt” không phải là mục cấu hình hợp lệ ở đây; hãy kiểm tra lại chính tả."),
    ]
