"""The running counts per day and per month agree with the answers, over ranges that cut months anywhere."""

import re
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from onestop.extensions import db
from onestop.surveys import results
from onestop.surveys.models import Survey, SurveyResponse, SurveyTally, SurveyTallyMonth
from onestop.surveys.tally import month_of
from tests.surveys.conftest import add_question, answer_page, begin, code_of, new_survey, post_action

# Province moments (UTC+7) on both sides of month ends: 23:30 on 30/09 is still September in the province,
# though 16:30 UTC; 00:30 on 01/10 is October, though still 30/09 in UTC.
MOMENTS = [
    datetime(2026, 8, 20, 3, 0, tzinfo=UTC),
    datetime(2026, 9, 30, 16, 30, tzinfo=UTC),
    datetime(2026, 9, 30, 17, 30, tzinfo=UTC),
    datetime(2026, 10, 15, 2, 0, tzinfo=UTC),
    datetime(2026, 10, 31, 16, 59, tzinfo=UTC),
    datetime(2026, 11, 1, 1, 0, tzinfo=UTC),
    datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 18, 0, tzinfo=UTC),
]
ANSWERS = [
    {"q-q1": "o1", "q-q2": "5", "q-q3-o1": "4", "q-q3-o2": "2", "q-q4": "3", "q-q5": ["o1", "o2"]},
    {"q-q1": "o2", "q-q2": "1", "q-q3-o1": "5", "q-q4": "12"},
    {"q-q1": "other", "q-q1-other": "Bưu điện", "q-q2": "4", "q-q5": "o2"},
    {"q-q1": "o1", "q-q2": "3", "q-q3-o2": "1", "q-q4": "7", "q-q5": "o1"},
    {"q-q1": "o1", "q-q2": "2", "q-q4": "1"},
    {"q-q1": "o2", "q-q2": "5", "q-q3-o1": "3", "q-q3-o2": "3", "q-q5": ["o1", "o2"]},
    {"q-q2": "4", "q-q4": "9"},
    {"q-q1": "o1", "q-q2": "5", "q-q3-o1": "1", "q-q4": "2", "q-q5": "o2"},
]
PERIODS = [
    (None, None),
    (date(2026, 9, 1), date(2026, 11, 30)),  # whole months only
    (date(2026, 9, 30), date(2026, 11, 1)),  # a day of each end month around a whole one
    (date(2026, 9, 15), None),  # a partial first month, open to today
    (None, date(2026, 10, 31)),  # open start, ends on a month's last day
    (None, date(2026, 10, 30)),  # open start, a partial last month
    (date(2026, 10, 1), date(2026, 10, 1)),  # one day
    (date(2026, 10, 2), date(2026, 10, 30)),  # inside one month, neither end whole
    (date(2026, 8, 21), date(2026, 9, 29)),  # crossing a month end, no response in it
    (date(2026, 11, 30), date(2026, 12, 31)),  # the province's December only
]


@pytest.fixture
def answered(app, clerk, monkeypatch):
    survey_id = new_survey(clerk)
    options = "Cổng | Portal\nQuầy | Counter"
    add_question(clerk, survey_id, kind="single", text_vi="Kênh", options=options, allow_other="y")
    add_question(clerk, survey_id, kind="rating", text_vi="Mức hài lòng", low_vi="Kém", high_vi="Tốt")
    add_question(clerk, survey_id, kind="grid", text_vi="Đánh giá", rows="Thời gian | Time\nThái độ | Conduct")
    add_question(clerk, survey_id, kind="number", text_vi="Số lần đến")
    add_question(clerk, survey_id, kind="multiple", text_vi="Cần cải thiện", options="Giờ | Hours\nPhí | Fees")
    assert post_action(clerk, survey_id, "publish").status_code == 302
    code = code_of(survey_id)
    for moment, answers in zip(MOMENTS, ANSWERS, strict=True):
        monkeypatch.setattr("onestop.surveys.answering.utcnow", lambda moment=moment: moment)
        citizen = app.test_client()
        begin(citizen, code)
        assert answer_page(citizen, code, 1, answers).status_code == 302
    monkeypatch.undo()
    return survey_id


def _lines(lines) -> list:
    return [(line.label, line.count, line.percent) for line in lines]


def _summary(per_question) -> list:
    return [
        (r.question.key, r.answered, _lines(r.lines), r.average, r.minimum, r.maximum,
         [(label, mean, _lines(lines)) for label, mean, lines in r.grid])
        for r in per_question
    ]  # fmt: skip


def test_month_and_day_tallies_agree_with_the_answers_over_any_range(app, answered):
    survey = db.session.get(Survey, answered)
    version = survey.versions[-1]
    every_response = select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id)
    with app.test_request_context():
        for first, last in PERIODS:
            tallied = results.question_results(version, results.Period(first, last))
            counted = results.question_results(version, results.Period(first, last, every_response))
            assert _summary(tallied) == _summary(counted), (first, last)
    # Each month row is the sum of its days.
    days = db.session.execute(
        select(SurveyTally.question_id, SurveyTally.day, SurveyTally.row_key, SurveyTally.choice, SurveyTally.count)
    ).all()
    by_month: dict[tuple, int] = {}
    for question_id, day, row_key, choice, count in days:
        key = (question_id, month_of(day), row_key, choice)
        by_month[key] = by_month.get(key, 0) + count
    months = db.session.execute(
        select(
            SurveyTallyMonth.question_id,
            SurveyTallyMonth.month,
            SurveyTallyMonth.row_key,
            SurveyTallyMonth.choice,
            SurveyTallyMonth.count,
        )
    ).all()
    assert {row[:4]: row[4] for row in months} == by_month
    # 18:00 UTC on 30/11 is 01:00 on 01/12 in the province: December's.
    assert {row[1] for row in months} == {date(2026, month, 1) for month in (8, 9, 10, 11, 12)}


def test_a_range_cutting_months_shows_the_responses_of_its_days(clerk, answered):
    # 30/09 (province day of the second response) to 01/11: the 2nd to the 6th responses.
    page = clerk.get(f"/office/surveys/{answered}/results?from=2026-09-30&to=2026-11-01").get_data(as_text=True)
    assert "5 responses" in page
    q1 = page[page.index('id="result-q1"') : page.index('id="result-q2"')]
    assert re.search(r"<th scope=\"row\">Portal</th><td>2</td><td>40.0%</td>", q1)
    assert re.search(r"<th scope=\"row\">Counter</th><td>2</td><td>40.0%</td>", q1)
    q2 = page[page.index('id="result-q2"') : page.index('id="result-q3"')]
    assert "average 3.0" in q2  # (1 + 4 + 3 + 2 + 5) / 5
    september = clerk.get(f"/office/surveys/{answered}/results?to=2026-09-30").get_data(as_text=True)
    assert "2 responses" in september


def test_rebuild_counts_the_same_tallies_again(app, answered):
    def stored():
        return (
            sorted(tuple(row) for row in db.session.execute(select(SurveyTally.__table__)).all()),
            sorted(tuple(row) for row in db.session.execute(select(SurveyTallyMonth.__table__)).all()),
        )

    before = stored()
    db.session.execute(SurveyTallyMonth.__table__.delete())
    db.session.commit()
    outcome = CliRunner().invoke(app.cli, ["surveys", "rebuild-tallies", "--survey", str(answered)])
    assert outcome.exit_code == 0, outcome.output
    assert "8" in outcome.output
    db.session.expire_all()
    after = stored()
    assert after == before
    assert db.session.scalar(select(func.count()).select_from(SurveyTallyMonth)) > 0
