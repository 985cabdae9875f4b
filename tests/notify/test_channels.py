"""Configuring channels: who may, for which units, and what is refused (with a Chinese error,
nothing written)."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.audit.models import AuditEntry
from fangkong.notify import services
from fangkong.notify.models import Channel
from tests import factories as f


@pytest.fixture
def liaison(city):
    return f.user("unit_liaison", city.dept_a)


@pytest.mark.parametrize("url", [
    "ftp://robots.example/send",
    "javascript:alert(1)",
    "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
    "file:///etc/passwd",
    "http://",
])
def test_a_webhook_url_that_is_not_http_is_refused(city, liaison, as_user, url):
    response = as_user(liaison).post("/notify/channels/", {
        "unit": city.dept_a.pk, "kind": "wecom", "target": url, "msg_format": "markdown",
    })
    assert response.status_code == 400
    assert "webhook 地址必须是以 http:// 或 https:// 开头的完整地址" in response.content.decode()
    assert not Channel.objects.exists()


def test_bad_email_addresses_and_misplaced_secrets_are_refused(city, liaison):
    with pytest.raises(ValidationError) as exc:
        services.channel_create(actor=liaison, unit=city.dept_a, kind="email", target="duty@mca.example, 不是邮箱")
    assert "不是邮箱" in str(exc.value)
    with pytest.raises(ValidationError):
        services.channel_create(actor=liaison, unit=city.dept_a, kind="wecom", target="https://qyapi.example/x",
                                secret="SECabc")
    assert not Channel.objects.exists()


def test_a_unit_outside_the_scope_is_refused(city, liaison, as_user):
    response = as_user(liaison).post("/notify/channels/", {
        "unit": city.dept_b.pk, "kind": "email", "target": "x@edu.example", "msg_format": "text",
    })
    assert response.status_code == 400
    assert not Channel.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.channel_create(actor=liaison, unit=city.dept_b, kind="email", target="x@edu.example")
    assert "管辖范围" in str(exc.value) or "scope" in str(exc.value)
    assert not Channel.objects.exists()


def test_a_liaison_configures_their_own_unit_and_it_is_audited(city, liaison, as_user):
    client = as_user(liaison)
    response = client.post("/notify/channels/", {
        "unit": city.dept_a.pk, "kind": "dingtalk", "target": "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "secret": "SECxyz", "msg_format": "markdown",
    })
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.unit, channel.kind, channel.secret) == (city.dept_a, "dingtalk", "SECxyz")
    entry = AuditEntry.objects.get(object_type="notify.channel")
    assert entry.action == "create"
    page = client.get("/notify/channels/").content.decode()
    assert "https://oapi.dingtalk.com/robot/send?…" in page and "access_token=abc" not in page and "SECxyz" not in page

    # Another unit's liaison neither sees nor removes it.
    other = f.user("unit_liaison", city.dept_b)
    assert "oapi.dingtalk.com" not in as_user(other).get("/notify/channels/").content.decode()
    assert as_user(other).post(f"/notify/channels/{channel.pk}/delete/").status_code == 404
    assert client.post(f"/notify/channels/{channel.pk}/delete/").status_code == 302
    assert not Channel.objects.exists()


def test_roles_without_the_permission(city, as_user):
    checkpoint = f.user("checkpoint_staff", city.checkpoint_1)
    assert as_user(checkpoint).get("/notify/channels/").status_code == 403
    assert as_user(checkpoint).get("/notify/deliveries/").status_code == 403
    secretary = f.user("branch_secretary", city.branch_a)
    assert as_user(secretary).post("/notify/channels/", {
        "unit": city.branch_a.pk, "kind": "email", "target": "a@b.example", "msg_format": "text",
    }).status_code == 403
    assert not Channel.objects.exists()
    # Everyone has an inbox.
    assert as_user(checkpoint).get("/notify/").status_code == 200
