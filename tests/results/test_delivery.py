"""How the result comes: chosen at filing, the postage from the pack shown beside "by post", on the receipt and
the officer's file page; the signed result is always also online."""

from tests.conftest import login
from tests.filing import fill_all_steps, pdf_bytes, send, upload
from tests.office.conftest import as_staff


def test_the_citizen_chooses_post_and_sees_the_postage(app, demo, create_citizen, create_staff):
    from onestop.accounts.models import Role

    citizen = create_citizen(full_name="Nguyễn Thị Mai", email="mai@example.com")
    client = app.test_client()
    login(client, citizen.email)
    application_id = fill_all_steps(client, fee_category="exempt")
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    review = client.get(f"/applications/{application_id}/review").get_data(as_text=True)
    assert "25.000" in review and "cũng được đưa vào tài khoản" in review
    assert send(client, application_id, delivery="post").status_code == 302
    clerk = as_staff(app, create_staff(Role.CLERK, "000.00.02.H99", "Đặng Thị Lan"))
    assert "Qua bưu chính" in clerk.get(f"/office/applications/{application_id}").get_data(as_text=True)
