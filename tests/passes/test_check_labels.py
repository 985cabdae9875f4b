"""The pass-check table names the person who checked 查验人, not the follow-up's 随访人."""

from tests.conftest import login_client


def test_the_check_table_says_who_checked(city, office, staff_pass):
    body = login_client(office).get(f"/passes/{staff_pass.pk}/").content.decode()
    checks = body.split("<h2>")[-1]
    assert "查验人" in checks and "随访人" not in checks
