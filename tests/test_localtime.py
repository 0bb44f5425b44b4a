""" "Now" and "today" are the province's, whatever zone the server runs in."""

from datetime import UTC, date, datetime

from onestop import localtime


def test_today_is_the_provinces_day_not_the_servers(demo):
    # 00:30 on 2 December in Vietnam is still 1 December in UTC.
    moment = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert localtime.today(moment=moment) == date(2026, 12, 2)
    assert localtime.now(moment=moment).hour == 0
    assert localtime.zone().key == "Asia/Ho_Chi_Minh"


def test_a_child_born_after_local_midnight_is_not_born_in_the_future(demo, monkeypatch):
    from onestop.accounts.citizen_id import problem_with

    monkeypatch.setattr(localtime, "utcnow", lambda: datetime(2026, 12, 31, 18, 0, tzinfo=UTC))
    # A citizen ID number of someone born in 2027 is refused in UTC's 2026, accepted in Vietnam's 2027.
    assert localtime.today() == date(2027, 1, 1)
    assert problem_with("001227012345") is None
