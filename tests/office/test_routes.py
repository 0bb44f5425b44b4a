"""Processing routes: co-ordinating agencies in sequence and in parallel, send-back, per-step deadlines."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.procedures import clock
from onestop.procedures.calendar import ProvinceCalendar, national_year
from onestop.procedures.models import Application, ApplicationStep, ProcedureVersion
from onestop.procedures.route import AgencyRef, Budget, Route, Stage, Step
from onestop.procedures.workflow.steps import days_due
from onestop.provinces.models import Agency
from tests.conftest import outbox
from tests.office.conftest import act, as_staff, file_lltp

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _route(*coordinating: str) -> Route:
    groups = [
        (Step("reception", Stage.RECEPTION, "clerk"),),
        (Step("processing", Stage.PROCESSING, "specialist", budget=Budget(days=2)),),
    ]
    if coordinating:
        groups.append(
            tuple(
                Step(f"ask-{code}", Stage.COORDINATION, "specialist", AgencyRef("code", code), Budget(days=1))
                for code in coordinating
            )
        )
    groups += [
        (Step("approval", Stage.APPROVAL, "leader", budget=Budget(days=1), send_back_to=("processing",)),),
        (Step("delivery", Stage.DELIVERY, "clerk", budget=Budget(hours=4)),),
    ]
    return Route(tuple(groups))


def _use_route(application_id: int, route: Route) -> None:
    """Pin the application's procedure version to a route, as a pack declaring it would."""
    application = db.session.get(Application, application_id)
    version = db.session.get(ProcedureVersion, application.procedure_version_id)
    version.definition = {**version.definition, "route": route.to_definition()}
    db.session.commit()


def _open(application_id: int) -> list[ApplicationStep]:
    return list(
        db.session.scalars(
            select(ApplicationStep).where(
                ApplicationStep.application_id == application_id, ApplicationStep.left_at.is_(None)
            )
        )
    )


def _agency(code: str) -> Agency:
    return db.session.scalar(select(Agency).where(Agency.code == code))


JUSTICE, WARD = "000.00.03.H99", "000.00.30.H99"


def _journey(app, staff, create_staff, create_citizen, coordinating: tuple[str, ...], delivery: str = "online"):
    """Filed at the police, accepted, taken and proposed: the file is now with the co-ordinating agencies."""
    _citizen, application_id, citizen_client = file_lltp(app, create_citizen, delivery, fee_category="exempt")
    _use_route(application_id, _route(*coordinating))
    answerers = {
        code: as_staff(app, create_staff(Role.SPECIALIST, code, f"Chuyên viên {code}")) for code in coordinating
    }
    clerk, specialist, leader = (as_staff(app, staff[role]) for role in ("clerk", "specialist", "leader"))
    assert act(clerk, application_id, "accept").status_code == 302
    assert act(specialist, application_id, "assign", {"specialist": staff["specialist"].id}).status_code == 302
    assert (
        act(specialist, application_id, "propose", {"decision": "approve", "note": "Đủ điều kiện"}).status_code == 302
    )
    return application_id, clerk, specialist, leader, answerers, citizen_client


def test_two_parallel_co_ordinating_agencies_both_answer_before_the_leader_decides(
    app, staff, create_staff, create_citizen, approve
):
    application_id, _clerk, _specialist, leader, answerers, citizen_client = _journey(
        app, staff, create_staff, create_citizen, (JUSTICE, WARD), delivery="counter"
    )
    application = db.session.get(Application, application_id)
    assert application.state == "in_progress"
    assert sorted(row.agency.code for row in _open(application_id)) == [JUSTICE, WARD]
    # The lead agency waits; the leader has nothing to approve yet.
    assert "/result/sign" not in leader.get(f"/office/applications/{application_id}").get_data(as_text=True)
    # Each co-ordinating agency finds the file in its queue, sees it, and answers.
    code = application.code
    consulted = answerers[JUSTICE].get("/office/applications?tab=consulted").get_data(as_text=True)
    # The row counts down to the co-ordination step's own due time (one working day), not the file's (ten).
    assert code in consulted and ("còn 1 ngày làm việc" in consulted or "đến hạn hôm nay" in consulted)
    assert code not in answerers[JUSTICE].get("/office/applications?tab=new").get_data(as_text=True)
    assert answerers[JUSTICE].get(f"/office/applications/{application_id}").status_code == 200
    # Each co-ordinating agency's staff heard of the file sent for their opinion.
    told = {m.recipient for m in outbox("email") if m.event == "staff_new_application"}
    assert {f"Chuyên viên {JUSTICE}", f"Chuyên viên {WARD}"} <= {
        user.full_name for user in db.session.scalars(db.select(User).where(User.email.in_(told)))
    }
    response = act(answerers[JUSTICE], application_id, "answer", {"opinion": "agree", "note": ""})
    assert response.status_code == 422  # an opinion needs words
    response = act(answerers[JUSTICE], application_id, "answer", {"opinion": "agree", "note": "Không có án tích"})
    assert response.status_code == 302
    assert [row.agency.code for row in _open(application_id)] == [WARD]
    assert db.session.get(Application, application_id).state == "in_progress"
    assert (
        act(answerers[WARD], application_id, "answer", {"opinion": "agree", "note": "Cư trú đúng"}).status_code == 302
    )
    application = db.session.get(Application, application_id)
    assert application.state == "awaiting_approval"
    lead_page = leader.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert "Không có án tích" in lead_page and "Cư trú đúng" in lead_page
    assert approve(leader, application_id).state == "approved"  # signed; the citizen asked for it at the counter
    [delivery] = _open(application_id)
    assert delivery.stage == "delivery" and delivery.agency.code == "000.00.02.H99"
    # Nobody is shown holding it but the reception clerks, who find it in their first queue.
    assert db.session.get(Application, application_id).holder_id is None
    clerk = as_staff(app, staff["clerk"])
    assert f"/office/applications/{application_id}" in clerk.get("/office/applications").get_data(as_text=True)
    page = clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
    assert f"/office/applications/{application_id}/deliver" in page and "In kết quả đã ký" in page
    # The citizen's timeline says who has held the file.
    timeline = citizen_client.get(f"/applications/{application_id}").get_data(as_text=True)
    for agency in ("Công an tỉnh Minh Sơn", "Sở Tư pháp tỉnh Minh Sơn", "Ủy ban nhân dân phường Đông Thành"):
        assert agency in timeline


def test_an_agency_acts_only_on_its_own_step(app, staff, create_staff, create_citizen):
    application_id, _clerk, specialist, _leader, _answerers, _client = _journey(
        app, staff, create_staff, create_citizen, (JUSTICE,)
    )
    # A clerk of the co-ordinating agency has the wrong role; an agency not on the route does not see the file.
    justice_clerk = as_staff(app, create_staff(Role.CLERK, JUSTICE, "Văn thư Tư pháp"))
    assert act(justice_clerk, application_id, "answer", {"opinion": "agree", "note": "x"}).status_code == 403
    ward_specialist = as_staff(app, create_staff(Role.SPECIALIST, WARD, "Chuyên viên phường"))
    assert ward_specialist.get(f"/office/applications/{application_id}").status_code == 404
    # The co-ordinating agency reads the papers the applicant filed (logged), not the applicant's thread.
    justice = as_staff(app, db.session.scalar(select(User).where(User.full_name == f"Chuyên viên {JUSTICE}")))
    page = justice.get(f"/office/applications/{application_id}").get_data(as_text=True)
    [paper] = re.findall(r'href="(/office/documents/\d+\?application=\d+)"', page)
    assert justice.get(paper).data.startswith(b"%PDF")
    assert 'id="messages"' not in page
    assert ward_specialist.get(paper).status_code == 404
    # The lead specialist cannot answer for the co-ordinating agency.
    assert act(specialist, application_id, "answer", {"opinion": "agree", "note": "x"}).status_code == 403
    assert [row.agency.code for row in _open(application_id)] == [JUSTICE]


def test_the_leader_sends_back_to_processing_and_the_specialist_keeps_the_file(
    app, staff, create_staff, create_citizen
):
    application_id, _clerk, _specialist, leader, answerers, _client = _journey(
        app, staff, create_staff, create_citizen, (JUSTICE,)
    )
    assert (
        act(answerers[JUSTICE], application_id, "answer", {"opinion": "disagree", "note": "Sai tên"}).status_code == 302
    )
    assert act(leader, application_id, "send-back", {"comment": "Xem lại ý kiến Sở Tư pháp"}).status_code == 302
    application = db.session.get(Application, application_id)
    [step] = _open(application_id)
    assert application.state == "in_progress" and step.step_id == "processing"
    assert step.holder_id == staff["specialist"].id == application.holder_id
    outcomes = [(row.step_id, row.outcome) for row in application.steps]
    assert ("approval", "sent_back") in outcomes and ("ask-" + JUSTICE, "done") in outcomes


def test_each_step_gets_its_own_due_time_from_its_budget(app, staff, create_staff, create_citizen):
    application_id, *_ = _journey(app, staff, create_staff, create_citizen, (JUSTICE,))
    application = db.session.get(Application, application_id)
    calendar = clock.calendar_for(application)
    for row in application.steps:
        if row.budget_days is not None:
            expected = days_due(calendar, row.entered_at, row.budget_days)
            assert row.due_at == expected


def test_a_step_handed_over_late_in_the_afternoon_still_counts_from_that_day():
    """The 15:00 cut-off is for citizens' filings; a hand-over at 16:30 on Wednesday, one day: due Thursday."""
    calendar = ProvinceCalendar(national=_no_swaps)
    entered = datetime(2026, 12, 2, 16, 30, tzinfo=VN).astimezone(UTC)
    assert days_due(calendar, entered, 1) == datetime(2026, 12, 3, 17, 0, tzinfo=VN).astimezone(UTC)


def test_working_hours_skip_the_30_april_and_1_may_holidays():
    calendar = ProvinceCalendar(national=_no_swaps)
    # Wednesday 29 April 2026, 16:00: one hour left that day; 30/4 and 1/5 are holidays, then a weekend.
    start = datetime(2026, 4, 29, 16, 0, tzinfo=VN).astimezone(UTC)
    assert calendar.add_working_hours(start, 4) == datetime(2026, 5, 4, 10, 30, tzinfo=VN).astimezone(UTC)
    # Lunch is not office time: 11:00 + 1 hour is 14:00.
    assert calendar.add_working_hours(datetime(2026, 5, 4, 11, 0, tzinfo=VN), 1) == datetime(
        2026, 5, 4, 14, 0, tzinfo=VN
    ).astimezone(UTC)


def test_a_two_day_step_entered_before_tet_2026_is_due_after_it():
    calendar = ProvinceCalendar(national=_no_swaps)
    # Friday 13 February 2026: Tết runs 16–20 February, then a weekend; days counted: Mon 23 and Tue 24.
    entered = datetime(2026, 2, 13, 10, 0, tzinfo=VN).astimezone(UTC)
    due = calendar.end_of_day(calendar.due_date(entered, 2).day)
    assert due == datetime(2026, 2, 24, 17, 0, tzinfo=VN).astimezone(UTC)


def _no_swaps(year):
    return national_year(year)


def test_the_process_control_slip_shows_each_step_with_its_agency_and_mark(app, staff, create_staff, create_citizen):
    application_id, _clerk, _specialist, leader, answerers, _client = _journey(
        app, staff, create_staff, create_citizen, (JUSTICE, WARD)
    )
    for code in (JUSTICE, WARD):
        act(answerers[code], application_id, "answer", {"opinion": "agree", "note": "Đồng ý"})
    text = _pdf_text(leader.get(f"/office/applications/{application_id}/control.pdf")).replace("\n", " ")
    assert "Sở Tư pháp tỉnh Minh Sơn — phối hợp, cho ý kiến" in text
    assert "Ủy ban nhân dân phường Đông Thành — phối hợp, cho ý kiến" in text
    assert "Công an tỉnh Minh Sơn — thẩm định, xử lý" in text
    # Every step done so far was done a day or more before its own due time.
    assert text.count("Trước hạn") >= 4 and "Quá hạn" not in text


def _pdf_text(response) -> str:
    import io

    from pypdf import PdfReader

    assert response.status_code == 200
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
