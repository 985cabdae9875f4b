"""Sending over real channels: an SMTP server and robot endpoints on 127.0.0.1 check what arrived;
a channel that is down is retried with backoff, shown to the office, and holds up nothing else."""

import base64
import datetime as dt
import hashlib
import hmac
import re
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fangkong.core.actors import SYSTEM
from fangkong.notify import services
from fangkong.notify.models import Channel, Delivery, Message
from fangkong.notify.senders import dingtalk_sign
from tests import factories as f
from tests.notify.servers import dingtalk_server, free_port, smtp_server, wecom_server  # noqa: F401 - fixtures

SECRET = "SECa1b2c3d4e5f6"


@pytest.fixture
def liaison(city):
    user = f.user("unit_liaison", city.dept_a, username="dept_a_liaison")
    user.email = "liaison@mca.example"
    user.save()
    return user


@pytest.fixture
def office(city):
    return f.user("committee_office", city.root, username="office_rem")


def channels(office, unit, *, wecom_url, dingtalk_url, msg_format="markdown"):
    services.channel_create(actor=office, unit=unit, kind="email",
                            target="duty@mca.example， head@mca.example", msg_format="text")
    services.channel_create(actor=office, unit=unit, kind="wecom", target=wecom_url, msg_format=msg_format)
    services.channel_create(actor=office, unit=unit, kind="dingtalk", target=dingtalk_url, secret=SECRET,
                            msg_format="text")


def send(unit, key="k1"):
    return services.message_send(
        actor=SYSTEM, unit=unit, kind="manual", key=key, subject="【日报提醒】请尽快报送", body="市民政局：2月10日的机关日报尚未报送。",
    )


def run_queued_tasks():
    """Run what the db_worker would claim (db_worker itself would close the test's connection)."""
    ran = 0
    for result in DBTaskResult.objects.ready():
        value = result.task.call(*result.task_result.args, **result.task_result.kwargs)
        result.set_successful(value)
        ran += 1
    return ran


def test_it_delivers_one_message_on_every_channel(city, office, liaison, smtp, wecom, dingtalk,
                                                  django_capture_on_commit_callbacks):
    channels(office, city.dept_a, wecom_url=f"{wecom.url}/cgi-bin/webhook/send?key=K1",
             dingtalk_url=f"{dingtalk.url}/robot/send?access_token=T1")
    before_ms = int(time.time() * 1000)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(city.dept_a)
    # In-app at once for the liaison; the three channels are queued for the background worker.
    assert [d.user for d in message.deliveries.filter(kind="inapp")] == [liaison]
    assert not smtp.mails and not wecom.posts and not dingtalk.posts
    assert run_queued_tasks() == 1  # one task carries the three deliveries of this pass

    [mail] = smtp.mails
    assert mail.rcpt_to == ["duty@mca.example", "head@mca.example"]
    assert mail.mail_from == "fangkong@baishan.example"
    assert mail.subject == "【日报提醒】请尽快报送"
    assert "市民政局：2月10日的机关日报尚未报送。" in mail.text

    [post] = wecom.posts
    assert post.path == "/cgi-bin/webhook/send" and post.query == {"key": "K1"}
    assert post.headers["content-type"].startswith("application/json")
    assert post.payload == {
        "msgtype": "markdown",
        "markdown": {"content": "### 【日报提醒】请尽快报送\n\n市民政局：2月10日的机关日报尚未报送。"},
    }

    [post] = dingtalk.posts
    assert post.path == "/robot/send" and post.query["access_token"] == "T1"
    assert post.payload == {"msgtype": "text", "text": {"content": "【日报提醒】请尽快报送\n市民政局：2月10日的机关日报尚未报送。"}}
    # 加签: sign = base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), timestamp in ms, now.
    ts = post.query["timestamp"]
    assert before_ms <= int(ts) <= int(time.time() * 1000)
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert post.query["sign"] == expected.decode()

    assert set(Delivery.objects.values_list("kind", "status", "attempts")) == {
        ("inapp", "sent", 1), ("email", "sent", 1), ("wecom", "sent", 1), ("dingtalk", "sent", 1),
    }


def test_the_dingtalk_signature_matches_the_documented_example():
    # The documented Python recipe: quote_plus(b64encode(hmac(secret, f"{ts}\n{secret}"))).
    digest = hmac.new(b"this is secret", b"1577262236757\nthis is secret", hashlib.sha256).digest()
    import urllib.parse

    assert dingtalk_sign("this is secret", 1577262236757) == urllib.parse.quote_plus(base64.b64encode(digest))


def test_the_same_occasion_is_sent_once(city, office, smtp, wecom, dingtalk):
    channels(office, city.dept_a, wecom_url=wecom.url, dingtalk_url=dingtalk.url)
    assert send(city.dept_a, key="same") is not None
    assert send(city.dept_a, key="same") is None
    services.deliver_due()
    services.deliver_due()
    assert Message.objects.count() == 1 and len(smtp.mails) == 1 and len(wecom.posts) == 1


def test_a_channel_that_is_down_is_retried_and_shown_and_the_others_still_arrive(
        city, office, liaison, smtp, wecom, as_user):
    wecom.status = 500
    closed = f"http://127.0.0.1:{free_port()}/robot/send?access_token=robot-token-must-stay-hidden"
    channels(office, city.dept_a, wecom_url=wecom.url, dingtalk_url=closed)
    send(city.dept_a)
    t0 = timezone.now()
    assert services.deliver_due(now=t0) == 3

    assert len(smtp.mails) == 1  # email went out although both robots failed
    wecom_d = Delivery.objects.get(kind="wecom")
    ding_d = Delivery.objects.get(kind="dingtalk")
    assert (wecom_d.status, wecom_d.attempts, wecom_d.last_error) == ("pending", 1, "HTTP 500 Internal Server Error")
    assert ding_d.status == "pending" and "refused" in ding_d.last_error.lower()
    assert wecom_d.next_attempt_at == t0 + dt.timedelta(seconds=60)
    # The retry is queued for the worker, not before it is due.
    assert DBTaskResult.objects.filter(run_after=t0 + dt.timedelta(seconds=60)).count() == 2
    assert services.deliver_due(now=t0 + dt.timedelta(seconds=30)) == 0

    # The office sees both on the failures page, with the reason.
    page = as_user(office).get("/notify/deliveries/").content.decode()
    assert "HTTP 500 Internal Server Error" in page and "refused" in page.lower()
    assert "robot-token-must-stay-hidden" not in page  # webhook tokens are credentials: never shown

    # The WeCom robot comes back: the next retry delivers it.
    wecom.status = 200
    assert services.deliver_due(now=t0 + dt.timedelta(seconds=61)) == 2
    wecom_d.refresh_from_db()
    assert (wecom_d.status, wecom_d.attempts) == ("sent", 2)
    assert len(wecom.posts) == 2  # the refused one and the delivered one

    # DingTalk stays down: after 1, 5, 15 and 60 minutes it is given up and marked failed.
    moment = t0 + dt.timedelta(seconds=61)
    for delay in (300, 900, 3600):
        moment += dt.timedelta(seconds=delay + 1)
        assert services.deliver_due(now=moment) == 1
    ding_d.refresh_from_db()
    assert (ding_d.status, ding_d.attempts, ding_d.next_attempt_at) == ("failed", 5, None)
    assert services.deliver_due(now=moment + dt.timedelta(days=1)) == 0
    page = as_user(office).get("/notify/deliveries/").content.decode()
    assert 'class="status-failed"' in page and "HTTP 500" not in page  # the WeCom delivery is no longer a problem

    # Once the address is fixed the office can send it again by hand.
    response = as_user(office).post(f"/notify/deliveries/{ding_d.pk}/retry/")
    assert response.status_code == 302
    ding_d.refresh_from_db()
    assert ding_d.status == "pending"


def test_a_robot_that_refuses_is_a_failure(city, office, wecom, dingtalk):
    dingtalk.answer = {"errcode": 310000, "errmsg": "sign not match"}
    channels(office, city.dept_a, wecom_url=wecom.url, dingtalk_url=dingtalk.url)
    send(city.dept_a)
    Delivery.objects.filter(kind="email").delete()
    services.deliver_due()
    d = Delivery.objects.get(kind="dingtalk")
    assert d.status == "pending" and d.last_error == "errcode 310000: sign not match"
    assert Delivery.objects.get(kind="wecom").status == "sent"


def test_the_inbox_and_its_unread_count(city, liaison, as_user):
    send(city.dept_a)
    send(city.dept_a, key="k2")
    client = as_user(liaison)
    page = client.get("/notify/").content.decode()
    assert "市民政局：2月10日的机关日报尚未报送。" in page
    assert re.search(r'id="unread-count"[^>]*>2<', page)
    client.post("/notify/read/")
    page = client.get("/notify/").content.decode()
    assert 'id="unread-count"' not in page
    # Another unit's people see none of it.
    other = f.user("unit_liaison", city.dept_b)
    assert "尚未报送" not in as_user(other).get("/notify/").content.decode()


def test_email_needs_no_worker_when_the_loop_sweeps(city, office, smtp):
    """`send_reminders` sweeps due deliveries, so reminders go out even with no db_worker."""
    from django.core.management import call_command

    services.channel_create(actor=office, unit=city.dept_a, kind="email", target="duty@mca.example")
    send(city.dept_a)
    call_command("send_reminders", verbosity=0)
    assert [m.rcpt_to for m in smtp.mails] == [["duty@mca.example"]]



def test_a_test_message_checks_one_channel_at_once(city, office, wecom, as_user):
    services.channel_create(actor=office, unit=city.dept_a, kind="wecom", target=wecom.url)
    down = services.channel_create(actor=office, unit=city.dept_a, kind="dingtalk",
                                   target=f"http://127.0.0.1:{free_port()}/robot/send")
    client = as_user(office)
    wecom_channel = Channel.objects.get(kind="wecom")
    response = client.post(f"/notify/channels/{wecom_channel.pk}/test/", follow=True)
    assert "测试消息已发送成功" in response.content.decode()
    [post] = wecom.posts
    assert post.payload["markdown"]["content"].startswith("### 【日报提醒测试】通知渠道测试")
    assert "市民政局的通知渠道配置正确" in post.payload["markdown"]["content"]
    response = client.post(f"/notify/channels/{down.pk}/test/", follow=True)
    assert "测试消息发送失败" in response.content.decode()
    # Only the channel under test was used; nobody's inbox got a test message.
    assert not Delivery.objects.filter(kind="inapp").exists() and len(wecom.posts) == 1


def test_a_concurrent_pass_that_stored_some_occasions_first(city):
    """The batch insert meets a key stored meanwhile: the others are still stored, once."""
    from fangkong.notify.services import Outgoing, _store

    Message.objects.create(unit=city.dept_a, kind="manual", key="k-taken", subject="先到", body="")
    items = [Outgoing(unit=city.dept_a, kind="manual", key=k, subject=k, body="") for k in ("k-new", "k-taken")]
    stored = _store(items, SYSTEM)
    assert [m.key for m in stored] == ["k-new"]
    assert Message.objects.filter(key="k-taken").get().subject == "先到"
