"""Fee schedules as packs declare them, and the quotes the citizen sees: amounts worked out by hand."""

import pytest
import yaml
from pydantic import ValidationError

from onestop.payments.fees import FeeAnswerError, FeeSchedule, percent_of, quote

# Circular 244/2016/TT-BTC, as written by a pack author (see shared/domain/procedures.md §3).
CRIMINAL_RECORD_YAML = """
payment_moment: at_submission
items:
  - id: certificate
    name: {vi: Phí cấp phiếu lý lịch tư pháp, en: Criminal record certificate fee}
    amount: 200000
  - id: extra_copies
    name: {vi: Từ phiếu thứ 3 trở đi, en: Each certificate from the 3rd}
    amount: 5000
    per: {field: copies, beyond: 2}
exemptions:
  - id: poor
    name: {vi: Hộ nghèo, en: Poor household}
    when: {field: category, equals: poor}
    free: true
  - id: reduced
    name:
      vi: Học sinh, sinh viên, người có công
      en: Students and people with merit
    when: {field: category, one_of: [student, merit]}
    fixed_amount: 100000
    items: [certificate]
"""

RESIDENCE = {
    "items": [{"id": "registration", "name": "Lệ phí đăng ký thường trú", "amount": 20_000}],
    "online_reduction": {"amount": 10_000},
}

CIVIL_STATUS_COPY = {
    "payment_moment": "when_result_ready",
    "items": [
        {
            "id": "copy",
            "name": {"vi": "Phí cấp bản sao trích lục", "en": "Copy of the extract"},
            "amount": 8_000,
            "per": {"field": "copies"},
        }
    ],
    "exemptions": [
        {
            "id": "exempt",
            "name": "Người có công, hộ nghèo, người khuyết tật",
            "when": {"field": "category", "one_of": ["merit", "poor", "disabled"]},
            "free": True,
        }
    ],
}


@pytest.fixture
def criminal_record() -> FeeSchedule:
    return FeeSchedule.model_validate(yaml.safe_load(CRIMINAL_RECORD_YAML))


# --- criminal record certificate -------------------------------------------------------------


@pytest.mark.parametrize(
    ("copies", "total"),
    [
        (1, 200_000),  # 200.000 + 0 × 5.000
        (2, 200_000),  # two certificates are included: 200.000 + 0 × 5.000
        (3, 205_000),  # 200.000 + 1 × 5.000
        (5, 215_000),  # 200.000 + 3 × 5.000
    ],
)
def test_criminal_record_general_public(criminal_record, copies, total):
    result = quote(criminal_record, {"category": "other", "copies": copies}, online=False)
    assert result.total == total
    assert [line.item_id for line in result.lines] == ["certificate", "extra_copies"]
    assert result.lines[1].units == max(0, copies - 2)
    assert result.lines[1].answered_units == copies


def test_criminal_record_student_pays_the_reduced_fee_and_the_extra_copies(criminal_record):
    result = quote(criminal_record, {"category": "student", "copies": 4}, online=False)
    # certificate: 200.000 replaced by 100.000; extra copies not covered: 2 × 5.000 = 10.000 → 110.000
    assert result.total == 110_000
    certificate, extra = result.lines
    assert certificate.base == 200_000
    assert certificate.amount == 100_000
    [step] = certificate.adjustments
    assert step.kind == "fixed_amount"
    assert step.change == -100_000
    assert step.exemption_id == "reduced"
    assert step.reason["en"] == "Students and people with merit"
    assert extra.adjustments == []
    assert extra.amount == 10_000


def test_criminal_record_poor_household_is_free_everything(criminal_record):
    result = quote(criminal_record, {"category": "poor", "copies": 4}, online=True)
    # 200.000 → 0 and 2 × 5.000 → 0 (the exemption names no items, so it covers all of them)
    assert result.total == 0
    assert result.free
    assert all(line.adjustments[0].kind == "free" for line in result.lines)


def test_criminal_record_is_paid_at_submission(criminal_record):
    assert criminal_record.due_at_submission
    assert quote(criminal_record, {"copies": 1}, online=True).due_at_submission


def test_explain_traces_the_computation(criminal_record):
    result = quote(criminal_record, {"category": "student", "copies": 3}, online=False)
    assert result.explain() == [
        "Phí cấp phiếu lý lịch tư pháp: 200.000 đ × 1 = 200.000 đ",
        "  Học sinh, sinh viên, người có công: -100.000 đ → 100.000 đ",
        "Từ phiếu thứ 3 trở đi: 5.000 đ × 1 = 5.000 đ",
        "Tổng cộng: 105.000 đ",
    ]


# --- permanent residence ---------------------------------------------------------------------


def test_residence_at_the_counter_and_online():
    schedule = FeeSchedule.model_validate(RESIDENCE)
    assert schedule.payment_moment == "after_acceptance"  # the default
    assert not schedule.due_at_submission
    assert quote(schedule, {}, online=False).total == 20_000  # counter: 20.000
    online = quote(schedule, {}, online=True)
    assert online.total == 10_000  # 20.000 − 10.000
    [step] = online.lines[0].adjustments
    assert step.kind == "online_amount"
    assert step.change == -10_000
    assert step.reason["vi"] == "Giảm phí khi nộp hồ sơ trực tuyến"
    assert online.lines[0].name == {"vi": "Lệ phí đăng ký thường trú"}


# --- copy of a civil-status extract ------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "copies", "total"),
    [
        ("other", 1, 8_000),  # 8.000 × 1
        ("other", 3, 24_000),  # 8.000 × 3
        ("student", 3, 24_000),  # students are not exempt here
        ("merit", 3, 0),
        ("poor", 2, 0),
        ("disabled", 5, 0),
    ],
)
def test_civil_status_copy(category, copies, total):
    schedule = FeeSchedule.model_validate(CIVIL_STATUS_COPY)
    result = quote(schedule, {"category": category, "copies": copies}, online=False)
    assert result.total == total
    assert result.lines[0].units == copies
    assert result.payment_moment == "when_result_ready"


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"copies": 0}, "fee_units_below_one"),  # refused, not treated as 1: see the module docstring
        ({"copies": -2}, "fee_units_below_one"),
        ({}, "fee_units_missing"),
        ({"copies": None}, "fee_units_missing"),
        ({"copies": "3"}, "fee_units_not_whole"),
        ({"copies": 2.5}, "fee_units_not_whole"),
        ({"copies": True}, "fee_units_not_whole"),
    ],
)
def test_unit_answer_must_be_a_whole_number_of_at_least_one(answers, code):
    schedule = FeeSchedule.model_validate(CIVIL_STATUS_COPY)
    with pytest.raises(FeeAnswerError) as error:
        quote(schedule, answers, online=False)
    assert error.value.code == code
    assert error.value.field == "copies"


# --- rules: order, rounding, online after exemptions, `when` -----------------------------------


def _one_item(amount: int, **schedule) -> FeeSchedule:
    return FeeSchedule.model_validate({"items": [{"id": "fee", "name": "Phí", "amount": amount}], **schedule})


def test_first_matching_exemption_wins():
    free = {"id": "poor", "name": "Hộ nghèo", "when": {"field": "poor_household", "equals": True}, "free": True}
    half = {"id": "student", "name": "Sinh viên", "when": {"field": "category", "equals": "student"}}
    half["reduction_percent"] = 50
    answers = {"poor_household": True, "category": "student"}  # both categories apply
    assert quote(_one_item(200_000, exemptions=[free, half]), answers, online=False).total == 0
    # Listed the other way round, only the 50 % applies (not 50 % then free): 200.000 − 100.000
    reversed_order = quote(_one_item(200_000, exemptions=[half, free]), answers, online=False)
    assert reversed_order.total == 100_000
    assert [step.exemption_id for step in reversed_order.lines[0].adjustments] == ["student"]


def test_exemption_that_does_not_match_leaves_the_amount():
    half = {"id": "student", "name": "SV", "when": {"field": "category", "equals": "student"}, "reduction_percent": 50}
    result = quote(_one_item(200_000, exemptions=[half]), {"category": "merit"}, online=False)
    assert result.total == 200_000
    assert result.lines[0].adjustments == []


@pytest.mark.parametrize(
    ("amount", "percent", "paid"),
    [
        (8_001, 50, 4_000),  # reduction 4.000,5 → 4.001 (half up, to the citizen); 8.001 − 4.001
        (15, 10, 13),  # reduction 1,5 → 2; 15 − 2
        (14, 10, 13),  # reduction 1,4 → 1; 14 − 1
        (8_001, 33, 5_361),  # reduction 2.640,33 → 2.640; 8.001 − 2.640
        (200_000, 100, 0),  # fully reduced: free, not negative
        (200_000, 0, 200_000),
    ],
)
def test_percentage_reductions_round_half_up(amount, percent, paid):
    exemption = {"id": "x", "name": "Giảm", "when": {"field": "category", "equals": "x"}, "reduction_percent": percent}
    assert quote(_one_item(amount, exemptions=[exemption]), {"category": "x"}, online=False).total == paid
    # The same rounding for an online percentage.
    assert quote(_one_item(amount, online_reduction={"percent": percent}), {}, online=True).total == paid


def test_percent_of_uses_whole_dong():
    assert percent_of(8_001, 50) == 4_001
    assert percent_of(1, 49) == 0  # 0,49 → 0
    assert percent_of(1, 50) == 1  # 0,5 → 1


def test_online_reduction_applies_after_the_exemption():
    half = {"id": "student", "name": "SV", "when": {"field": "category", "equals": "student"}, "reduction_percent": 50}
    schedule = _one_item(20_000, exemptions=[half], online_reduction={"percent": 15})
    result = quote(schedule, {"category": "student"}, online=True)
    # 20.000 − 50 % = 10.000; then online 15 % of 10.000 = 1.500 → 8.500 (not 15 % of 20.000)
    assert result.total == 8_500
    assert [(step.kind, step.change, step.amount_after) for step in result.lines[0].adjustments] == [
        ("percent", -10_000, 10_000),
        ("online_percent", -1_500, 8_500),
    ]
    # Filed at the counter: no online step.
    assert quote(schedule, {"category": "student"}, online=False).total == 10_000


def test_online_amount_never_goes_below_zero():
    cheap = {"id": "merit", "name": "NCC", "when": {"field": "category", "equals": "merit"}, "fixed_amount": 5_000}
    schedule = _one_item(8_000, exemptions=[cheap], online_reduction={"amount": 10_000})
    result = quote(schedule, {"category": "merit"}, online=True)
    # 8.000 → 5.000 (fixed) → max(0, 5.000 − 10.000) = 0
    assert result.total == 0
    assert result.lines[0].adjustments[-1].change == -5_000
    # Without the exemption: max(0, 8.000 − 10.000) = 0
    assert quote(schedule, {"category": "other"}, online=True).total == 0


def test_online_reduction_limited_to_listed_items():
    schedule = FeeSchedule.model_validate(
        {
            "items": [
                {"id": "fee", "name": "Lệ phí", "amount": 20_000},
                {"id": "post", "name": "Chuyển phát", "amount": 25_000},
            ],
            "online_reduction": {"amount": 10_000, "items": ["fee"]},
        }
    )
    # fee 20.000 − 10.000 = 10.000; post 25.000 untouched → 35.000
    assert quote(schedule, {}, online=True).total == 35_000


def test_item_with_when_applies_only_when_answered_for(criminal_record):
    data = yaml.safe_load(CRIMINAL_RECORD_YAML)
    data["items"].append(
        {
            "id": "delivery",
            "name": "Cước chuyển phát kết quả",
            "amount": 25_000,
            "when": {"field": "delivery", "equals": "post"},
        }
    )
    schedule = FeeSchedule.model_validate(data)
    by_post = quote(schedule, {"copies": 1, "delivery": "post"}, online=False)
    assert by_post.total == 225_000  # 200.000 + 0 × 5.000 + 25.000
    at_office = quote(schedule, {"copies": 1, "delivery": "office"}, online=False)
    assert at_office.total == 200_000
    assert "delivery" not in [line.item_id for line in at_office.lines]
    # Poor households: the exemption names no items, so delivery is free too: 0
    assert quote(schedule, {"copies": 1, "delivery": "post", "category": "poor"}, online=False).total == 0


def test_skipped_per_item_does_not_need_its_answer():
    schedule = FeeSchedule.model_validate(
        {
            "items": [
                {"id": "fee", "name": "Lệ phí", "amount": 20_000},
                {
                    "id": "copies",
                    "name": "Bản sao",
                    "amount": 8_000,
                    "per": {"field": "copies"},
                    "when": {"field": "want_copies", "equals": True},
                },
            ]
        }
    )
    assert quote(schedule, {"want_copies": False}, online=False).total == 20_000
    assert quote(schedule, {"want_copies": True, "copies": 2}, online=False).total == 36_000  # 20.000 + 2 × 8.000


def test_empty_schedule_is_free():
    result = quote(FeeSchedule(), {}, online=True)
    assert result.total == 0
    assert result.lines == []


# --- schema errors ---------------------------------------------------------------------------


def _errors(data: dict) -> str:
    with pytest.raises(ValidationError) as error:
        FeeSchedule.model_validate(data)
    return str(error.value)


def test_negative_amount_refused():
    assert "greater_than_equal" in _errors({"items": [{"id": "fee", "name": "Phí", "amount": -1}]})


def test_fractional_or_text_amount_refused():
    _errors({"items": [{"id": "fee", "name": "Phí", "amount": 1.5}]})
    _errors({"items": [{"id": "fee", "name": "Phí", "amount": "200000"}]})


def test_percent_above_100_refused():
    exemption = {"id": "x", "name": "X", "when": {"field": "c", "equals": "x"}, "reduction_percent": 101}
    assert "less_than_equal" in _errors({"items": [], "exemptions": [exemption]})
    assert "less_than_equal" in _errors({"online_reduction": {"percent": 150}})


def test_unknown_payment_moment_refused():
    assert "literal_error" in _errors({"payment_moment": "whenever"})


def test_unknown_key_refused():
    assert "extra_forbidden" in _errors({"items": [], "currency": "VND"})


@pytest.mark.parametrize(
    "exemption",
    [
        {"id": "x", "name": "X", "when": {"field": "c", "equals": "x"}},  # no effect
        {"id": "x", "name": "X", "when": {"field": "c", "equals": "x"}, "free": True, "reduction_percent": 10},
        {"id": "x", "name": "X", "when": {"field": "c", "equals": "x"}, "free": False},
    ],
)
def test_exemption_needs_exactly_one_effect(exemption):
    _errors({"items": [], "exemptions": [exemption]})


def test_cross_checks():
    item = {"id": "fee", "name": "Phí", "amount": 20_000}
    other = {"id": "post", "name": "Bưu chính", "amount": 25_000}
    when = {"field": "c", "equals": "x"}
    assert "duplicate_fee_item" in _errors({"items": [item, item]})
    bad_ref = {"id": "x", "name": "X", "when": when, "free": True, "items": ["nope"]}
    assert "unknown_fee_item" in _errors({"items": [item], "exemptions": [bad_ref]})
    assert "unknown_fee_item" in _errors({"items": [item], "online_reduction": {"amount": 1, "items": ["nope"]}})
    above = {"id": "x", "name": "X", "when": when, "fixed_amount": 30_000}
    assert "fixed_amount_above_item" in _errors({"items": [item], "exemptions": [above]})
    assert "online_amount_items" in _errors({"items": [item, other], "online_reduction": {"amount": 5_000}})
    assert "online_reduction_effect" in _errors({"items": [item], "online_reduction": {}})
    assert "online_reduction_effect" in _errors({"items": [item], "online_reduction": {"amount": 1, "percent": 1}})
    assert "greater_than_equal" in _errors({"items": [{**item, "per": {"field": "copies", "beyond": -1}}]})


def test_schedule_is_frozen(criminal_record):
    with pytest.raises(ValidationError):
        criminal_record.payment_moment = "after_acceptance"
