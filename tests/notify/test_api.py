"""The notifications API: the caller's inbox only, marking read, reminding units in scope."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import Client

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.notify import services
from fangkong.notify.models import Message
from fangkong.orgs.choices import UnitKind as K
from fangkong.reports import services as reports
from tests import factories as f


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


def test_the_inbox_is_the_callers_own(city):
    liaison = f.user("unit_liaison", city.dept_a)
    other = f.user("unit_liaison", city.dept_b)
    services.message_send(actor=SYSTEM, unit=city.dept_a, kind="manual", key="a1", subject="【日报提醒】甲", body="市民政局：尚未报送")
    services.message_send(actor=SYSTEM, unit=city.dept_b, kind="manual", key="b1", subject="【日报提醒】乙", body="市教育局：尚未报送")
    client, headers = Client(), bearer(liaison)
    page = client.get("/api/v1/notifications", **headers).json()
    assert page["count"] == 1
    [notice] = page["results"]
    assert (notice["subject"], notice["unit_name"], notice["read_at"]) == ("【日报提醒】甲", "市民政局", None)
    # Marking someone else's notice id changes nothing; marking all marks one.
    theirs = Client().get("/api/v1/notifications", **bearer(other)).json()["results"][0]["id"]
    assert client.post("/api/v1/notifications/read", {"ids": [theirs]}, content_type="application/json",
                       **headers).json() == {"marked": 0}
    assert client.post("/api/v1/notifications/read", {}, content_type="application/json",
                       **headers).json() == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=true", **headers).json()["count"] == 0
    assert Client().get("/api/v1/notifications").status_code == 401


def test_remind_over_the_api_is_scoped(city):
    branch_2 = f.unit(K.BRANCH, city.branch_a.parent, "市民政局第二党支部")
    day = dt.date(2020, 2, 10)
    template = reports.template_create(
        actor=SYSTEM, code="b", name="支部日报", line="organs", unit_kinds=[K.BRANCH], start_date=day,
        fields=[{"key": "n", "label": "今日新增", "kind": "integer"}])
    reports.report_submit(actor=SYSTEM, template=template, unit=branch_2, day=day, zero=True,
                          at=dt.datetime(2020, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    secretary = f.user("branch_secretary", city.branch_a.parent)  # the general branch
    client, headers = Client(), bearer(secretary)
    body = {"template": template.pk, "day": "2020-02-10", "units": [city.branch_a.pk, city.industry.pk]}
    response = client.post("/api/v1/notifications/remind", body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert "部分单位不在您的管辖范围内" in str(response.json()["detail"])
    assert not Message.objects.exists()
    body["units"] = [city.branch_a.pk, branch_2.pk]
    response = client.post("/api/v1/notifications/remind", body, content_type="application/json", **headers)
    assert response.json() == {"sent": 1}  # the second branch had reported
    assert list(Message.objects.values_list("unit__name", flat=True)) == ["市民政局第一党支部"]
    liaison = f.user("checkpoint_staff", city.checkpoint_1)
    assert client.post("/api/v1/notifications/remind", body, content_type="application/json",
                       **bearer(liaison)).status_code == 403
