"""Role × scope: channels and delivery records show only for units in the user's scope."""

import pytest

from fangkong.core.actors import SYSTEM
from fangkong.notify import services
from tests import factories as f
from tests.notify.servers import free_port

# role, scope attribute of the City fixture, units whose channels and deliveries are visible (None: 403)
MATRIX = [
    ("committee_office", "root", {"市民政局", "市教育局", "红旗社区", "东兴街道"}),
    ("unit_liaison", "dept_a", {"市民政局"}),
    ("branch_secretary", "branch_a", set()),
    ("community_staff", "street", {"红旗社区", "东兴街道"}),
    ("community_staff", "comm_1", {"红旗社区"}),
    ("inspection_group", "root", {"市民政局", "市教育局", "红旗社区", "东兴街道"}),
    ("checkpoint_staff", "checkpoint_1", None),
    ("system_admin", "root", None),
    ("auditor", "root", None),
]
UNITS = {"市民政局": "dept_a", "市教育局": "dept_b", "红旗社区": "comm_1", "东兴街道": "street"}


@pytest.mark.parametrize(("role", "scope", "visible"), MATRIX, ids=[f"{r}@{s}" for r, s, _ in MATRIX])
def test_each_role_sees_only_its_units(city, as_user, settings, role, scope, visible):
    office = f.user("committee_office", city.root)
    for name, attr in UNITS.items():
        unit = getattr(city, attr)
        services.channel_create(actor=office, unit=unit, kind="email", target=f"{attr}@baishan.example")
        services.message_send(actor=SYSTEM, unit=unit, kind="manual", key=attr, subject=f"消息-{name}", body="正文")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens: every email delivery fails and is listed
    settings.NOTIFY_EMAIL_TIMEOUT = 2
    services.deliver_due()
    client = as_user(f.user(role, getattr(city, scope)))
    for url in ("/notify/channels/", "/notify/deliveries/", "/notify/deliveries/?show=all"):
        response = client.get(url)
        if visible is None:
            assert response.status_code in (302, 403), url
            continue
        html = response.content.decode()
        if "channels" in url:
            shown = {name for name, attr in UNITS.items() if f"{attr}@baishan.example" in html}
        else:
            shown = {name for name in UNITS if f"消息-{name}" in html}
        assert shown == visible, url
    # Outside the scope: retrying or removing answers 404.
    if visible is not None and "市教育局" not in visible:
        from fangkong.notify.models import Channel, Delivery

        channel = Channel.objects.get(unit=city.dept_b)
        delivery = Delivery.objects.get(channel=channel)
        assert client.post(f"/notify/channels/{channel.pk}/delete/").status_code in (403, 404)
        assert client.post(f"/notify/deliveries/{delivery.pk}/retry/").status_code in (403, 404)
        assert Channel.objects.filter(pk=channel.pk).exists()


def test_a_user_sends_messages_only_to_units_in_scope(city):
    """messages_send checks its actor itself: a user outside a unit's scope sends nothing to it,
    nor names it; no actor at all is refused; the system reaches every unit."""
    from django.core.exceptions import PermissionDenied

    from fangkong.notify.models import Message

    liaison = f.user("unit_liaison", city.dept_a)
    assert services.message_send(actor=liaison, unit=city.dept_a, kind="manual", key="own", subject="s", body="b")
    with pytest.raises(PermissionDenied):
        services.message_send(actor=liaison, unit=city.dept_b, kind="manual", key="other", subject="s", body="b")
    with pytest.raises(PermissionDenied):
        services.message_send(actor=liaison, unit=city.dept_a, kind="manual", key="naming", subject="s", body="b",
                              about_units=[city.dept_b])
    with pytest.raises(PermissionDenied):
        services.message_send(actor=None, unit=city.dept_a, kind="manual", key="none", subject="s", body="b")
    assert services.message_send(actor=SYSTEM, unit=city.dept_b, kind="manual", key="sys", subject="s", body="b")
    assert sorted(Message.objects.values_list("key", flat=True)) == ["own", "sys"]
