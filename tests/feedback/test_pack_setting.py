"""The pack's `feedback_days`: loaded onto the province, refused with file and line when it makes no sense."""

import shutil

import pytest

from onestop.provinces.pack import PackInvalid, read_pack
from tests.conftest import DEMO_PACK


@pytest.fixture
def pack(tmp_path):
    copy = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, copy)
    return copy


def test_the_demo_pack_gives_ten_working_days(demo):
    assert demo.feedback_days == 10


@pytest.mark.parametrize("value", ["0", "61", "ten", "2.5", '"10"'])
def test_a_number_of_days_out_of_range_or_not_whole_is_refused_with_its_line(app, pack, value):
    path = pack / "province.yaml"
    text = path.read_text(encoding="utf-8").replace("feedback_days: 10", f"feedback_days: {value}")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PackInvalid) as caught:
        read_pack(pack)
    line = text[: text.index("feedback_days")].count("\n") + 1
    assert [(problem.file, problem.line) for problem in caught.value.problems] == [("province.yaml", line)]
    with app.test_request_context():
        assert all(problem.message for problem in caught.value.problems)


def test_a_pack_without_the_setting_keeps_ten(pack):
    path = pack / "province.yaml"
    text = path.read_text(encoding="utf-8").replace("feedback_days: 10\n", "")
    path.write_text(text, encoding="utf-8")
    assert read_pack(pack).province.feedback_days == 10
