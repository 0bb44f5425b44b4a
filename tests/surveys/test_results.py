"""Results: counts and percentages, charts' accessibility, free-text search, date filters, CSV and XLSX."""

import csv
import io
import re
from datetime import timedelta

import openpyxl

from onestop.models import utcnow
from tests.surveys.conftest import add_question, answer_page, begin, code_of, new_survey, post_action


def _answer(app, code, *pages):
    citizen = app.test_client()
    begin(citizen, code)
    for number, answers in enumerate(pages, start=1):
        response = answer_page(citizen, code, number, answers)
        assert response.status_code == 302, response.get_data(as_text=True)
    return citizen


def _survey(clerk) -> int:
    survey_id = new_survey(clerk)
    add_question(
        clerk, survey_id, kind="single", text_vi="Kênh", options="Cổng | Portal\nQuầy | Counter", allow_other="y"
    )
    add_question(clerk, survey_id, kind="rating", text_vi="Mức hài lòng", low_vi="Rất kém", high_vi="Rất tốt")
    add_question(clerk, survey_id, kind="long_text", text_vi="Góp ý")
    add_question(clerk, survey_id, kind="grid", text_vi="Đánh giá", rows="Thời gian | Time\nThái độ | Conduct")
    add_question(clerk, survey_id, kind="number", text_vi="Số lần đến")
    add_question(clerk, survey_id, kind="date", text_vi="Ngày đến")
    add_question(clerk, survey_id, kind="multiple", text_vi="Cần cải thiện", options="Giờ | Hours\nPhí | Fees")
    assert post_action(clerk, survey_id, "publish").status_code == 302
    return survey_id


def test_counts_percentages_and_accessible_charts(app, clerk):
    survey_id = _survey(clerk)
    code = code_of(survey_id)
    first = {"q-q1": "o1", "q-q2": "5", "q-q3": "Nhanh và gọn", "q-q4-o1": "4", "q-q4-o2": "5", "q-q5": "2"}
    _answer(app, code, {**first, "q-q6": "2026-11-03", "q-q7": ["o1", "o2"]})
    _answer(
        app, code, {"q-q1": "o1", "q-q2": "3", "q-q3": "Phải chờ lâu", "q-q5": "4", "q-q6": "2026-10-01", "q-q7": "o1"}
    )
    _answer(app, code, {"q-q1": "other", "q-q1-other": "Bưu điện", "q-q2": "4"})
    page = clerk.get(f"/office/surveys/{survey_id}/results").get_data(as_text=True)
    assert "3 responses" in page
    # Q1: 2 of 3 chose the portal.
    q1 = page[page.index('id="result-q1"') : page.index('id="result-q2"')]
    assert re.search(r"<th scope=\"row\">Portal</th><td>2</td><td>66.7%</td>", q1)
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in q1
    assert '<title id="chart-q1-title">Answers to Q1</title>' in q1
    assert re.search(
        r'<desc id="chart-q1-desc">3 people answered\. The most chosen answer is Portal: 2 \(66\.7%\)\.</desc>', q1
    )
    assert 'aria-labelledby="chart-q1-title chart-q1-desc"' in q1
    assert "average 4.0" in page  # Q2: (5 + 3 + 4) / 3
    assert "Lowest 2.0, highest 4.0." in page  # Q5
    assert "average 3.0" in page  # Q5's mean
    assert "Lowest 2026-10-01, highest 2026-11-03." in page  # Q6
    # Q7, several answers each: percentages of the 2 people who answered, not of the 3 ticks.
    q7 = page[page.index('id="result-q7"') :]
    assert "2 people answered" in q7
    assert re.search(r"<th scope=\"row\">Hours</th><td>2</td><td>100.0%</td>", q7)
    assert re.search(r"<th scope=\"row\">Fees</th><td>1</td><td>50.0%</td>", q7)
    # Q4, a grid: each row's counts and average.
    q4 = page[page.index('id="result-q4"') : page.index('id="result-q5"')]
    assert re.search(
        r"<th scope=\"row\">Time</th><td>0 \(0.0%\)</td><td>0 \(0.0%\)</td><td>0 \(0.0%\)</td><td>1 \(100.0%\)</td>", q4
    )
    # The monthly trend has its own chart and table.
    assert '<title id="chart-months-title">Responses per month</title>' in page
    # Free text, and the "other" answers, are listed.
    assert "Nhanh và gọn" in page and "Phải chờ lâu" in page and "Bưu điện" in page
    searched = clerk.get(f"/office/surveys/{survey_id}/results?q=chờ").get_data(as_text=True)
    texts = searched[searched.index('id="texts-heading"') :]
    assert "Phải chờ lâu" in texts and "Nhanh và gọn" not in texts


def test_filter_by_date_range(app, clerk, monkeypatch):
    survey_id = _survey(clerk)
    code = code_of(survey_id)
    # The first response is submitted 40 days ago.
    long_ago = utcnow() - timedelta(days=40)
    monkeypatch.setattr("onestop.surveys.answering.utcnow", lambda: long_ago)
    _answer(app, code, {"q-q1": "o1"})
    monkeypatch.undo()
    _answer(app, code, {"q-q1": "o2"})
    assert "2 responses" in clerk.get(f"/office/surveys/{survey_id}/results").get_data(as_text=True)
    since = (utcnow() - timedelta(days=5)).date().isoformat()
    page = clerk.get(f"/office/surveys/{survey_id}/results?from={since}").get_data(as_text=True)
    assert "1 responses" in page
    assert re.search(r"<th scope=\"row\">Counter</th><td>1</td><td>100.0%</td>", page)
    until = (utcnow() - timedelta(days=30)).date().isoformat()
    old = clerk.get(f"/office/surveys/{survey_id}/results?to={until}").get_data(as_text=True)
    assert "1 responses" in old and re.search(r"<th scope=\"row\">Portal</th><td>1</td><td>100.0%</td>", old)
    # The export filters the same way.
    rows = clerk.get(f"/office/surveys/{survey_id}/results.csv?to={until}").get_data(as_text=True).splitlines()
    assert len(rows) == 2 and "Portal" in rows[1]
    bad = clerk.get(f"/office/surveys/{survey_id}/results?from=2026-13-01")
    assert bad.status_code == 422 and "Enter a real date" in bad.get_data(as_text=True)


def test_csv_and_xlsx_exports(app, clerk):
    survey_id = _survey(clerk)
    code = code_of(survey_id)
    _answer(app, code, {"q-q1": "other", "q-q1-other": '=HYPERLINK("x")', "q-q2": "5", "q-q4-o1": "3", "q-q5": "2"})
    response = clerk.get(f"/office/surveys/{survey_id}/results.csv")
    assert response.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Response", "Submitted at", "Q1 Kênh"]
    assert rows[0][5:7] == ["Q4 Đánh giá – Time", "Q4 Đánh giá – Conduct"]
    assert rows[1][2] == 'Other: =HYPERLINK("x")'
    assert rows[1][3] == "5" and rows[1][5] == "3" and rows[1][7] == "2"

    xlsx = clerk.get(f"/office/surveys/{survey_id}/results.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["C1"].value == "Q1 Kênh"
    assert sheet["C2"].value == 'Other: =HYPERLINK("x")' and sheet["C2"].data_type == "s"
    assert sheet["D2"].value == "5" and sheet["H2"].value == 2
    assert sheet.max_row == 2


def test_an_empty_survey_has_results_with_no_division_by_zero(clerk):
    survey_id = _survey(clerk)
    page = clerk.get(f"/office/surveys/{survey_id}/results")
    assert page.status_code == 200
    assert "Nobody has answered this question yet." in page.get_data(as_text=True)
