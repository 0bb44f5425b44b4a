""" "Did this answer your question?" votes, what the searches record, and the province admin's report."""

import re

import pytest
from sqlalchemy import func, select

from onestop.accounts.models import Role
from onestop.extensions import db
from onestop.help.models import HelpQuery, HelpVote
from tests.conftest import csrf_token, login


def vote(client, query: str, target: str, helpful: str, **kwargs):
    page = client.get("/status").get_data(as_text=True)  # any form gives the session token; no search recorded
    data = {"csrf_token": csrf_token(page), "q": query, "target": target, "helpful": helpful}
    return client.post("/help/vote", data=data, **kwargs)


def sign_in(client, user) -> None:
    assert login(client, user.email).status_code == 302


def test_every_result_and_the_visit_ask_whether_it_helped(client, demo):
    html = client.get("/help", query_string={"q": "lltp"}).get_data(as_text=True)
    targets = re.findall(r'name="target" value="([^"]*)"', html)
    assert "cap-phieu-ly-lich-tu-phap#faq-4" in targets
    assert targets[-1] == ""  # the visit as a whole
    assert html.count('name="helpful" value="yes"') == len(targets)


def test_a_vote_is_stored_thanked_and_counted_once(client, demo):
    response = vote(client, "lltp", "cap-phieu-ly-lich-tu-phap#faq-3", "no", follow_redirects=True)
    assert response.status_code == 200
    assert "Cảm ơn" in response.get_data(as_text=True)
    again = vote(client, "LLTP", "cap-phieu-ly-lich-tu-phap#faq-3", "yes", follow_redirects=True)
    assert "đã trả lời" in again.get_data(as_text=True)
    votes = db.session.scalars(select(HelpVote)).all()
    assert [(v.folded, v.target, v.helpful) for v in votes] == [("lltp", "cap-phieu-ly-lich-tu-phap#faq-3", False)]


def test_a_search_is_recorded_but_coming_back_from_a_vote_is_not(client, demo):
    client.get("/help", query_string={"q": "Giấy khai sinh"})
    vote(client, "Giấy khai sinh", "", "yes", follow_redirects=True)
    rows = db.session.execute(select(HelpQuery.folded, HelpQuery.text, HelpQuery.result_count)).all()
    assert [(row.folded, row.text) for row in rows] == [("giay khai sinh", "Giấy khai sinh")]
    assert rows[0].result_count > 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"helpful": "maybe"}, "Hãy chọn Có hoặc Không."),
        ({"helpful": "yes", "target": "https://evil.example/x"}, "Câu trả lời này không nói về một trang"),
    ],
)
def test_a_tampered_vote_is_refused_with_a_message_and_the_search_kept(client, demo, data, message):
    page = client.get("/help", query_string={"q": "cccd"}).get_data(as_text=True)
    response = client.post("/help/vote", data={"csrf_token": csrf_token(page), "q": "cccd", **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="cccd"' in html
    assert db.session.scalar(select(func.count(HelpVote.id))) == 0


def test_votes_are_rate_limited(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "HELP_VOTE_RATE_LIMIT", "3 per minute")
    statuses = [vote(client, f"question {n}", "", "yes").status_code for n in range(5)]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[3:] == [429, 429]
    assert db.session.scalar(select(func.count(HelpVote.id))) == 3


def test_the_province_admin_sees_most_asked_least_helpful_and_unanswered(client, demo, create_staff):
    for query in ["giay khai sinh", "Giấy khai sinh", "cccd", "bang lai may bay"]:
        client.get("/help", query_string={"q": query})
    vote(client, "cccd", "cap-phieu-ly-lich-tu-phap#faq-3", "no")
    vote(client, "cccd", "", "no")
    vote(client, "giay khai sinh", "", "yes")
    client.get("/help", query_string={"q": "x"})  # nothing to fold to a word of 1 letter: still a question
    admin = create_staff(role=Role.PROVINCE_ADMIN, agency_code=None)
    sign_in(client, admin)
    client.set_cookie("lang", "en")
    html = client.get("/admin/help").get_data(as_text=True)
    most_asked = html.split('id="most-asked"')[1].split('id="least-helpful"')[0]
    least = html.split('id="least-helpful"')[1].split('id="no-result"')[0]
    unanswered = html.split('id="no-result"')[1]
    assert re.search(r"khai sinh</a></td><td>\d+</td>", most_asked)
    assert most_asked.index("khai sinh") < most_asked.index("cccd")
    assert "cccd" in least and "khai sinh" not in least
    assert "bang lai may bay" in unanswered and "cccd" not in unanswered
    office = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/help"' in office


@pytest.mark.parametrize("role", [Role.CLERK, Role.AGENCY_ADMIN, Role.LEADER])
def test_other_staff_may_not_read_the_report(client, create_staff, role):
    sign_in(client, create_staff(role=role))
    assert client.get("/admin/help").status_code == 403
    assert 'href="/admin/help"' not in client.get("/admin/").get_data(as_text=True)


def test_citizens_and_visitors_may_not_read_the_report(client, demo, create_citizen):
    response = client.get("/admin/help")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    sign_in(client, create_citizen())
    assert client.get("/admin/help").status_code == 403


def test_numbers_people_type_are_not_kept_in_the_report(client, demo):
    client.get("/help", query_string={"q": "phieu lltp cho 001090012345"})
    assert db.session.scalar(select(HelpQuery.text)) == "phieu lltp cho …"


def test_searches_are_rate_limited(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "HELP_SEARCH_RATE_LIMIT", "2 per minute")
    statuses = [client.get("/help", query_string={"q": f"khai sinh {n}"}).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert db.session.scalar(select(func.count(HelpQuery.id))) == 2
