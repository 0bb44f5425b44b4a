"""Routes and receiving rules as stored data, and the agencies they resolve to."""

import json

import pytest
from sqlalchemy import select

from onestop.errors import InvalidInput
from onestop.extensions import db
from onestop.procedures import route
from onestop.procedures.models import Application, Procedure, ProcedureVersion
from onestop.procedures.route import AgencyRef, Budget, ReceivingRule, Route, Stage, Step
from onestop.provinces.models import Agency


def test_the_default_route_is_one_step_per_stage_at_the_receiving_agency():
    default = route.default_route()
    assert [(s.id, s.stage, s.role, s.agency.kind, s.budget) for s in default.steps()] == [
        ("reception", Stage.RECEPTION, "clerk", "receiving", Budget()),
        ("processing", Stage.PROCESSING, "specialist", "receiving", Budget()),
        ("approval", Stage.APPROVAL, "leader", "receiving", Budget()),
        ("delivery", Stage.DELIVERY, "clerk", "receiving", Budget()),
    ]
    assert Route.from_definition(None) == default


def test_a_route_survives_json_and_answers_about_its_steps():
    tax = Step(
        "tax",
        Stage.COORDINATION,
        "specialist",
        AgencyRef("code", "000.00.05.H99"),
        Budget(days=2),
        ("processing",),
        {"vi": "Thuế", "en": "Tax"},
    )
    insurance = Step(
        "insurance", Stage.COORDINATION, "specialist", AgencyRef("kind", "social_insurance"), Budget(hours=6)
    )
    original = Route(
        groups=(
            (Step("reception", Stage.RECEPTION, "clerk", budget=Budget(hours=4)),),
            (Step("processing", Stage.PROCESSING, "specialist", budget=Budget(days=0)),),
            (tax, insurance),
            (Step("delivery", Stage.DELIVERY, "clerk"),),
        )
    )
    again = Route.from_definition(json.loads(json.dumps(original.to_definition())))
    assert again == original
    assert again.step("insurance").agency == AgencyRef("kind", "social_insurance")
    assert again.group_index("insurance") == again.group_index("tax") == 2
    assert [s.id for s in again.steps()] == ["reception", "processing", "tax", "insurance", "delivery"]
    with pytest.raises(KeyError):
        again.step("nowhere")


def test_a_budget_is_in_days_or_hours_not_both():
    with pytest.raises(ValueError):
        Budget(days=1, hours=2)
    assert Budget(days=2).in_hours(7.5) == 15 and Budget(hours=3).in_hours(7.5) == 3 and Budget().in_hours(8) == 0


@pytest.mark.parametrize(
    "rule",
    [
        ReceivingRule("fixed", ("000.00.30.H99",)),
        ReceivingRule("any_of", ("000.00.30.H99", "000.00.32.H99")),
        ReceivingRule("by_address", field="residence", level="district", agency_kind="commune"),
    ],
)
def test_a_receiving_rule_survives_json(rule):
    assert ReceivingRule.from_definition(json.loads(json.dumps(rule.to_definition())), None) == rule


def test_a_version_stored_before_rules_has_a_fixed_receiver_and_the_default_route():
    old = {"receiving_agency": "000.00.30.H99", "code": "1.001193"}
    assert route.rule_of(old) == ReceivingRule("fixed", ("000.00.30.H99",))
    assert route.route_of(old) == route.default_route()


def test_every_loaded_version_carries_its_route_and_receiving_rule(demo):
    versions = {v.procedure.code: v.definition for v in db.session.scalars(select(ProcedureVersion))}
    assert route.route_of(versions["1.001193"]) == route.default_route()
    assert versions["1.001193"]["receiving"] == {"kind": "fixed", "agencies": ["000.00.30.H99"]}
    household = route.route_of(versions["1.001612"])
    assert [s.id for s in household.steps()] == ["reception", "processing", "tax", "approval", "delivery"]
    assert household.step("tax").agency == AgencyRef("kind", "tax") and household.step("tax").budget == Budget(days=1)
    inter = route.route_of(versions["MS.LT.01"])
    assert [len(group) for group in inter.groups] == [1, 1, 2, 1, 1]
    assert route.rule_of(versions["MS.LT.01"]) == ReceivingRule(
        "by_address", field="residence", level="commune", agency_kind="commune"
    )


def answers(unit: str) -> dict:
    return {"residence": {"unit": unit, "street": "1 Đường Lê Lợi"}}


BY_WARD = ReceivingRule("by_address", field="residence", agency_kind="commune")


@pytest.mark.parametrize(
    ("unit", "code"),
    [("99101", "000.00.30.H99"), ("99102", "000.00.32.H99"), ("99201", "000.00.31.H99"), ("99203", "000.00.35.H99")],
)
def test_the_committee_of_the_applicants_ward_receives(demo, unit, code):
    assert route.resolve_receiver(BY_WARD, demo, answers(unit)).code == code


def test_an_address_outside_the_province_or_without_a_receiver_is_refused_plainly(demo):
    with pytest.raises(InvalidInput, match="không thuộc Tỉnh Minh Sơn"):
        route.resolve_receiver(BY_WARD, demo, answers("01001"))
    with pytest.raises(InvalidInput, match="không thuộc"):
        route.resolve_receiver(BY_WARD, demo, {})
    db.session.scalar(select(Agency).where(Agency.code == "000.00.32.H99")).is_active = False
    with pytest.raises(InvalidInput, match="Phường Tây Sơn"):
        route.resolve_receiver(BY_WARD, demo, answers("99102"))


def test_by_district_the_agency_listing_the_district_receives(demo):
    centre = db.session.scalar(select(Agency).where(Agency.code == "000.00.01.H99"))
    centre.serves = ["991"]
    rule = ReceivingRule("by_address", field="residence", level="district", agency_kind="service_centre")
    assert route.resolve_receiver(rule, demo, answers("99103")).code == "000.00.01.H99"
    with pytest.raises(InvalidInput):
        route.resolve_receiver(rule, demo, answers("99201"))


def test_a_chosen_receiver_must_be_one_of_the_list(demo):
    rule = ReceivingRule("any_of", ("000.00.30.H99", "000.00.32.H99"))
    assert route.resolve_receiver(rule, demo, {route.CHOSEN_RECEIVER: "000.00.32.H99"}).code == "000.00.32.H99"
    with pytest.raises(InvalidInput):
        route.resolve_receiver(rule, demo, {route.CHOSEN_RECEIVER: "000.00.02.H99"})


def filed(demo, unit: str) -> Application:
    """An application of the inter-agency birth registration, as the workflow would hold it."""
    procedure = db.session.scalar(select(Procedure).where(Procedure.code == "MS.LT.01"))
    receiver = route.resolve_receiver(route.rule_of(procedure.definition), demo, answers(unit))
    return Application(
        procedure=procedure,
        procedure_version=procedure.versions[-1],
        receiving_agency=receiver,
        answers=answers(unit),
    )


def test_a_step_owned_by_a_kind_goes_to_the_agency_serving_the_applicants_ward(demo):
    steps = route.route_of(filed(demo, "99101").definition)
    police, insurance = steps.step("residence").agency, steps.step("insurance").agency
    # Đông Thành has its own police station; Tây Sơn falls back to the provincial police serving every ward.
    assert route.resolve_agency(police, filed(demo, "99101")).code == "001.00.30.H99"
    assert route.resolve_agency(police, filed(demo, "99102")).code == "000.00.02.H99"
    assert route.resolve_agency(insurance, filed(demo, "99102")).code == "000.00.06.H99"
    assert route.resolve_agency(route.RECEIVING, filed(demo, "99102")).code == "000.00.32.H99"
    assert route.resolve_agency(AgencyRef("code", "000.00.05.H99"), filed(demo, "99102")).code == "000.00.05.H99"
