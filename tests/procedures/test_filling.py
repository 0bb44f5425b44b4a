"""The form engine on its own: how answers are read, checked, revealed and shown again."""

from datetime import date

from werkzeug.datastructures import MultiDict

from onestop.procedures.filling import as_inputs, display_value, read_step
from onestop.procedures.formspec import FieldSpec, StepSpec

TODAY = date(2026, 11, 24)


def step(*fields: dict) -> StepSpec:
    return StepSpec.model_validate({"id": "s", "title": "Bước", "fields": list(fields)})


def read(spec: StepSpec, **posted):
    data = MultiDict()
    for key, value in posted.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item)
    return read_step(spec, data, {}, {"99101"}, TODAY)


PEOPLE = {
    "id": "people",
    "type": "group",
    "label": "Người cùng chuyển đến",
    "min_items": 0,
    "fields": [
        {"id": "name", "type": "text", "label": "Họ và tên"},
        {"id": "born", "type": "number", "label": "Năm sinh", "min": 1900, "max": 2100},
    ],
}


def test_an_optional_group_left_blank_is_accepted():
    result = read(step(PEOPLE), **{"people-0-name": "", "people-0-born": ""})
    assert result.ok and result.values["people"] == []


def test_a_half_filled_item_of_a_group_is_checked():
    result = read(step(PEOPLE), **{"people-0-name": "Lê Văn Tư", "people-0-born": ""})
    assert not result.ok and "people-0-born" in result.errors


def test_a_field_revealed_by_an_answer_on_the_same_page_is_shown_not_blamed():
    spec = step(
        {"id": "married", "type": "yes_no", "label": "Đã kết hôn?"},
        {"id": "spouse", "type": "text", "label": "Họ tên vợ hoặc chồng", "when": {"field": "married", "equals": True}},
    )
    first = read(spec, married="yes", _shown=["married"])
    assert first.revealed == ["spouse"] and not first.errors and not first.ok
    second = read(spec, married="yes", spouse="", _shown=["married", "spouse"])
    assert "spouse" in second.errors
    third = read(spec, married="yes", spouse="Trần Thị Hoa", _shown=["married", "spouse"])
    assert third.ok and third.values == {"married": True, "spouse": "Trần Thị Hoa"}


def test_numbers_are_read_strictly():
    spec = step({"id": "copies", "type": "number", "label": "Số bản", "min": 1, "max": 10})
    for typed in ("--5", "5-", "1e3", "abc"):
        assert "copies" in read(spec, copies=typed).errors, typed
    assert read(spec, copies="11").errors["copies"]
    assert read(spec, copies=" 3 ").values["copies"] == 3


def test_dates_are_three_numbers_and_real():
    spec = step({"id": "born", "type": "date", "label": "Ngày sinh", "not_after_today": True})
    assert read(spec, **{"born-day": "29", "born-month": "2", "born-year": "2024"}).values["born"] == "2024-02-29"
    assert "born-day" in read(spec, **{"born-day": "29", "born-month": "2", "born-year": "2023"}).errors
    assert "born-day" in read(spec, **{"born-day": "1", "born-month": "1", "born-year": "2027"}).errors


def test_addresses_are_picked_from_the_pack_units():
    spec = step({"id": "home", "type": "address", "label": "Địa chỉ"})
    ok = read(spec, **{"home-unit": "99101", "home-street": " 5  Lê Lợi "})
    assert ok.values["home"] == {"unit": "99101", "street": "5 Lê Lợi"}
    assert "home-unit" in read(spec, **{"home-unit": "00000", "home-street": "5 Lê Lợi"}).errors


def test_patterns_compare_text_the_same_whatever_the_keyboard():
    spec = step({"id": "name", "type": "text", "label": "Tên", "pattern": "Hộ kinh doanh .+"})
    decomposed = "Hộ kinh doanh Bình An".replace("ộ", "o\u0323\u0302")
    assert read(spec, name=decomposed).ok


def test_stored_answers_come_back_as_inputs_and_read_well():
    spec = step(
        {"id": "born", "type": "date", "label": "Ngày sinh"},
        {"id": "year", "type": "number", "label": "Năm"},
        {"id": "capital", "type": "number", "label": "Vốn"},
    )
    inputs = as_inputs(spec, {"born": "1990-03-27", "year": 2008, "capital": 500000000})
    assert inputs == {"born-day": "27", "born-month": "3", "born-year": "1990", "year": "2008", "capital": "500000000"}
    assert display_value(FieldSpec.model_validate(spec.fields[1].model_dump()), 2008, {}) == "2008"
    assert display_value(spec.fields[2], 500000000, {}) == "500.000.000"
    assert display_value(spec.fields[0], "1990-03-27", {}) == "27/03/1990"
