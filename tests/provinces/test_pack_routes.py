"""Routes, receiving rules and pack error wording: each refusal names its file and line, once."""

import shutil

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from onestop.extensions import db
from onestop.procedures.models import Procedure
from onestop.provinces.pack import PackInvalid, read_pack
from onestop.provinces.services import apply_pack
from tests.conftest import DEMO_PACK
from tests.provinces.test_pack_rules import line_of, replace

HOUSEHOLD = "procedures/household-business.yaml"
INTER = "procedures/birth-residence-health-insurance.yaml"


@pytest.fixture
def pack(tmp_path):
    copy = tmp_path / "pack"
    shutil.copytree(DEMO_PACK, copy)
    return copy


def problems_of(path) -> list[tuple[str, int, str]]:
    with pytest.raises(PackInvalid) as caught, force_locale("en"):
        read_pack(path)
    return [(p.file, p.line, p.message) for p in caught.value.problems]


def edit(pack, name: str, old: str, new: str) -> str:
    return replace(pack / name, old, new)


def only(problems, file: str, line: int, *words: str) -> None:
    assert len(problems) == 1, problems
    assert problems[0][:2] == (file, line), problems
    for word in words:
        assert word in problems[0][2], problems[0][2]


def test_budgets_after_reception_beyond_the_legal_time_are_refused(pack):
    text = edit(
        pack,
        HOUSEHOLD,
        "    role: specialist\n    budget: {working_days: 1}\n    send_back_to: [processing]",
        "    role: specialist\n    budget: {working_days: 2}\n    send_back_to: [processing]",
    )
    # 1 + 2 working days, 4 + 1 hours: 27.5 of 22.5 working hours (3 days of 7.5 hours).
    only(problems_of(pack), HOUSEHOLD, line_of(text, "route:"), "27.5 working hours", "22.5", "3 working days")


def test_a_parallel_group_counts_its_longest_step(pack):
    text = edit(pack, INTER, "        budget: {working_days: 2}\n", "        budget: {working_days: 4}\n")
    # birth 1 + max(residence 3, insurance 4) + approval 1 + delivery 1 = 7 days: exactly the legal time.
    assert read_pack(pack)
    edit(pack, INTER, "        budget: {working_days: 4}\n", "        budget: {working_days: 5}\n")
    only(problems_of(pack), INTER, line_of(text, "route:"), "60 working hours", "52.5")


def test_a_same_day_procedure_has_one_working_day_of_hours(pack):
    text = edit(
        pack,
        "procedures/birth-registration.yaml",
        'steps:\n  - vi: "Điền tờ khai',
        "route:\n"
        "  - {step: reception, stage: reception, role: clerk}\n"
        "  - {step: processing, stage: processing, role: specialist, budget: {working_hours: 6}}\n"
        "  - {step: delivery, stage: delivery, role: clerk, budget: {working_hours: 2}}\n"
        'steps:\n  - vi: "Điền tờ khai',
    )
    only(problems_of(pack), "procedures/birth-registration.yaml", line_of(text, "route:"), "8 working hours", "7.5")


def test_sending_back_only_to_an_earlier_step(pack):
    text = edit(
        pack,
        HOUSEHOLD,
        "budget: {working_hours: 4}, send_back_to: [processing]}",
        "budget: {working_hours: 4}, send_back_to: [delivery]}",
    )
    only(problems_of(pack), HOUSEHOLD, line_of(text, "send_back_to: [delivery]"), "delivery", "before")
    edit(pack, HOUSEHOLD, "send_back_to: [delivery]}", "send_back_to: [procesing]}")
    only(problems_of(pack), HOUSEHOLD, line_of(text, "{step: approval"), "no step procesing")


def test_a_parallel_step_cannot_send_back_to_its_sibling(pack):
    old = "        send_back_to: [birth]\n        title: {vi: Cấp thẻ"
    text = edit(pack, INTER, old, old.replace("[birth]", "[residence]"))
    only(problems_of(pack), INTER, line_of(text, "send_back_to: [residence]"), "residence")


def test_a_step_after_delivery_is_reached_by_no_path(pack):
    text = edit(
        pack,
        HOUSEHOLD,
        "  - {step: delivery, stage: delivery, role: clerk, budget: {working_hours: 1}}\n",
        "  - {step: delivery, stage: delivery, role: clerk, budget: {working_hours: 1}}\n"
        "  - {step: archive, stage: processing, role: specialist}\n",
    )
    only(problems_of(pack), HOUSEHOLD, line_of(text, "{step: archive"), "No path reaches archive")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("    agency_kind: tax\n", '    agency: "000.00.77.H99"\n', ["000.00.77.H99", "not in agencies.yaml"]),
        ("    agency_kind: tax\n", "    agency_kind: customs\n", ["kind customs"]),
        ("    agency_kind: tax\n", "    agency_kind: commune\n", ["Several agencies", "commune"]),
        ("    agency_kind: tax\n", '    agency_kind: tax\n    agency: "000.00.05.H99"\n', ["not both"]),
        (
            "    role: specialist\n    budget: {working_days: 1}\n",
            "    role: citizen\n    budget: {working_days: 1}\n",
            ["clerk"],
        ),
    ],
    ids=["unknown-code", "unknown-kind", "ambiguous-kind", "code-and-kind", "unknown-role"],
)
def test_who_owns_a_step_must_exist(pack, old, new, words):
    text = edit(pack, HOUSEHOLD, old, new)
    line = line_of(text, new.strip().split("\n")[-1] if "agency:" in new else new.strip().split("\n")[0])
    only(problems_of(pack), HOUSEHOLD, line, *words)


def test_a_role_without_staff_is_fine_but_route_shape_is_checked(pack):
    # Nobody at the Tax Department is a clerk: staff change, the pack stays valid.
    edit(pack, HOUSEHOLD, "    agency_kind: tax\n    role: specialist\n", "    agency_kind: tax\n    role: clerk\n")
    assert read_pack(pack)


def test_step_ids_are_unique(pack):
    text = edit(pack, HOUSEHOLD, "{step: approval, stage: approval", "{step: processing, stage: approval")
    only(problems_of(pack), HOUSEHOLD, line_of(text, "{step: processing, stage: approval"), "called processing")


def test_a_route_starts_with_reception_and_reaches_approval_or_delivery(pack):
    text = edit(
        pack,
        HOUSEHOLD,
        "  - {step: reception, stage: reception, role: clerk, budget: {working_hours: 4}}\n",
        "  - {step: reception, stage: processing, role: clerk, budget: {working_hours: 4}}\n",
    )
    only(problems_of(pack), HOUSEHOLD, line_of(text, "{step: reception"), "start with one reception step")
    edit(pack, HOUSEHOLD, "{step: reception, stage: processing", "{step: reception, stage: reception")
    text = edit(
        pack,
        HOUSEHOLD,
        "  - {step: approval, stage: approval, role: leader, budget: {working_hours: 4}, send_back_to: [processing]}\n"
        "  - {step: delivery, stage: delivery, role: clerk, budget: {working_hours: 1}}\n",
        "",
    )
    only(problems_of(pack), HOUSEHOLD, line_of(text, "route:"), "approval or a delivery step")


def test_a_receiving_rule_that_leaves_wards_without_a_receiver_names_them(pack):
    edit(pack, "agencies.yaml", '    serves: ["99102"]\n', "")
    edit(pack, "agencies.yaml", '    serves: ["99203"]\n', "")
    text = (pack / INTER).read_text(encoding="utf-8")
    only(
        problems_of(pack),
        INTER,
        line_of(text, "by_address:"),
        "No agency of the kind commune serves Phường Tây Sơn, Thị trấn Tân Lập",
    )


def test_two_agencies_serving_one_ward_equally_are_refused(pack):
    edit(pack, "agencies.yaml", '    serves: ["99102"]\n', '    serves: ["99102", "99101"]\n')
    text = (pack / INTER).read_text(encoding="utf-8")
    only(problems_of(pack), INTER, line_of(text, "by_address:"), "Two agencies", "Phường Đông Thành")


def test_by_address_needs_an_address_question_asked_first(pack):
    text = edit(pack, INTER, "by_address: {field: residence,", "by_address: {field: child_name,")
    only(problems_of(pack), INTER, line_of(text, "by_address:"), "child_name is not an address question")
    edit(pack, INTER, "by_address: {field: child_name,", "by_address: {field: residence,")
    edit(pack, INTER, "          prefill: address\n", "          prefill: address\n          required: false\n")
    only(problems_of(pack), INTER, line_of(text, "by_address:"), "first step", "required")


def test_by_district_needs_districts(pack):
    text = edit(pack, INTER, "level: commune", "level: district")
    message = "No agency of the kind commune serves Thành phố Đông Thành"
    only(problems_of(pack), INTER, line_of(text, "by_address:"), message)


def test_receiving_is_said_once(pack):
    fixed = 'receiving_agency: "000.00.30.H99"\n'
    text = edit(pack, HOUSEHOLD, fixed, fixed + 'receiving:\n  any_of: ["000.00.30.H99", "000.00.32.H99"]\n')
    only(problems_of(pack), HOUSEHOLD, line_of(text, "receiving:"), "exactly one of: receiving_agency, receiving")
    edit(pack, HOUSEHOLD, 'receiving_agency: "000.00.30.H99"\n', "")
    text = edit(pack, HOUSEHOLD, '"000.00.32.H99"]', '"000.00.99.H99"]')
    only(problems_of(pack), HOUSEHOLD, line_of(text, "any_of:"), "000.00.99.H99")


def test_serves_names_known_units(pack):
    text = edit(pack, "agencies.yaml", '    serves: ["99102"]\n', '    serves: ["99102", "99999"]\n')
    only(problems_of(pack), "agencies.yaml", line_of(text, '"99999"'), "99999 is not in units.yaml")


def test_editing_a_route_makes_a_new_version_and_a_reload_does_not(app, pack):
    apply_pack(read_pack(pack))
    db.session.commit()
    delivery = "{step: delivery, stage: delivery, role: clerk, budget: {working_hours: 1}}"
    edit(pack, HOUSEHOLD, delivery, delivery.replace("1}}", "2}}"))
    apply_pack(read_pack(pack))
    apply_pack(read_pack(pack))
    db.session.commit()
    procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.001612"))
    assert [v.number for v in procedure.versions] == [1, 2]
    assert procedure.versions[0].definition["route"][-1][0]["budget"] == {"hours": 1}
    assert procedure.versions[1].definition["route"][-1][0]["budget"] == {"hours": 2}


def test_a_procedure_without_a_single_receiver_is_stored_without_one(app, pack):
    apply_pack(read_pack(pack))
    db.session.commit()
    procedure = db.session.scalar(select(Procedure).where(Procedure.code == "MS.LT.01"))
    assert procedure.receiving_agency_id is None
    assert "000.00.32.H99" in {agency.code for agency in procedure.agencies}


# --- pack error wording ------------------------------------------------------------------------

OLD_FEES = """fees:
  - name: Lệ phí đăng ký
    amount: 20000
  - name: Bản sao
    amount: 5000
"""


def old_fees(pack, name: str) -> str:
    path = pack / name
    text = path.read_text(encoding="utf-8")
    start, end = text.index("fees:\n"), text.index("fee_note:")
    text = text[:start] + OLD_FEES + text[end:]
    path.write_text(text, encoding="utf-8")
    return text


def test_fees_in_the_old_list_form_are_reported_once_with_the_shape_expected(pack):
    text = old_fees(pack, "procedures/permanent-residence.yaml")
    only(
        problems_of(pack),
        "procedures/permanent-residence.yaml",
        line_of(text, "fees:"),
        "“fees” has the wrong shape: expected a mapping",
        "items",
        "put the list under “items:”",
    )
    assert "model" not in problems_of(pack)[0][2]


def test_a_value_the_schema_allows_in_several_forms_is_one_problem_naming_them_all(pack):
    old = "      equals: true\n    note:"
    text = edit(pack, "procedures/birth-registration.yaml", old, old.replace("true", "[true]"))
    only(
        problems_of(pack),
        "procedures/birth-registration.yaml",
        line_of(text, "equals: [true]"),
        "“equals” has the wrong shape: expected text, a whole number or yes or no",
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("keywords: [", "keywords: {a: b}\nx_keywords: ["),
        ("steps:\n  - vi:", "steps: Điền tờ khai\nx_steps:\n  - vi:"),
    ],
    ids=["mapping-for-list", "text-for-list"],
)
def test_a_list_written_otherwise_is_one_problem(pack, old, new):
    text = edit(pack, "procedures/household-business.yaml", old, new)
    problems = [p for p in problems_of(pack) if "x_" not in p[2]]
    key = new.split(":")[0]
    message = f"“{key}” has the wrong shape: expected a list (one “- ” line per item)."
    assert problems == [("procedures/household-business.yaml", line_of(text, new.split("\n")[0]), message)]


def test_the_same_mistake_in_many_files_does_not_flood(pack):
    for name in (
        "procedures/birth-registration.yaml",
        "procedures/civil-status-extract-copy.yaml",
        "procedures/criminal-record-certificate.yaml",
        "procedures/household-business.yaml",
        "procedures/permanent-residence.yaml",
    ):
        old_fees(pack, name)
    for index in range(3):
        source = (pack / "procedures/permanent-residence.yaml").read_text(encoding="utf-8")
        source = source.replace('code: "1.004222"', f'code: "9.00{index}"').replace(
            "slug: dang-ky-thuong-tru", f"slug: ban-sao-{index}"
        )
        (pack / f"procedures/zz-copy-{index}.yaml").write_text(source, encoding="utf-8")
    problems = problems_of(pack)
    assert len(problems) == 6
    assert all("“fees” has the wrong shape" in message for _file, _line, message in problems)
    assert problems[-1][2].startswith("The same problem is in 3 more places from here on")


def test_demo_accounts_give_a_login_at_every_agency_of_the_inter_agency_routes(app, demo):
    output = app.test_cli_runner().invoke(args=["demo", "accounts", "--password", "demo-pass-1"]).output
    for login in (
        "motcua.dongthanh@minhson.example",
        "chuyenvien.dongthanh@minhson.example",
        "lanhdao.dongthanh@minhson.example",
        "chuyenvien.thue@minhson.example",
        "chuyenvien.xahoi@minhson.example",
        "chuyenvien.cutru.dongthanh@minhson.example",
    ):
        assert login in output
    # One of each role per agency: the Đông Thành ward police has a specialist and a leader.
    assert output.count("Công an phường Đông Thành") == 2
