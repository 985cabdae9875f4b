"""The daily briefing: written by the send_reminders loop at its hour (once a day), numbered,
kept (a correction is a new version), shown, exported, and delivered to a real SMTP server and
a real robot endpoint on 127.0.0.1."""

import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from fangkong.command.models import Briefing
from fangkong.core.actors import SYSTEM
from fangkong.notify import services as notify
from tests import factories as f
from tests.notify.servers import smtp_server, wecom_server  # noqa: F401 - fixtures
from tests.notify.test_delivery import run_queued_tasks


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_it_writes_sends_keeps_and_shows_the_briefing(city, settings, smtp, wecom, as_user,
                                                       django_capture_on_commit_callbacks):
    settings.FANGKONG_BRIEFING_UNITS = [city.root.code]
    settings.FANGKONG_BRIEFING_TIME = "20:00"
    office = f.user("committee_office", city.root, username="office_b")
    notify.channel_create(actor=SYSTEM, unit=city.root, kind="email", target="leader@city.example", msg_format="text")
    notify.channel_create(actor=SYSTEM, unit=city.root, kind="wecom", target=f"{wecom.url}/send?key=K", msg_format="markdown")

    run("send_reminders", "--at", "2020-02-10T19:59")
    assert not Briefing.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        out = run("send_reminders", "--at", "2020-02-10T20:01")
    assert "briefing=1" in out
    run("send_reminders", "--at", "2020-02-10T20:30")  # once a day
    [first] = Briefing.objects.all()
    assert (first.number, first.version, first.day.isoformat()) == (1, 1, "2020-02-10")
    assert "第1期" in first.title and "截至2月10日" in first.text
    assert [line["key"] for line in first.lines] == ["organs", "industry", "deployment", "supervision", "donations",
                                                      "livelihood", "publicity", "reports", "passes", "documents"]
    assert first.sent_at is not None

    run_queued_tasks()
    [mail] = smtp.mails
    assert mail.rcpt_to == ["leader@city.example"] and "第1期" in mail.subject
    assert "截至2月10日" in mail.text
    [post] = wecom.posts
    assert post.payload["msgtype"] == "markdown" and "第1期" in post.payload["markdown"]["content"]

    # The next day's is number 2; a correction of a day is a new version, the first kept as it was.
    run("briefing", "--as-of", "2020-02-11")
    text = first.text
    out = run("briefing", "--as-of", "2020-02-10T22:00", "--send")
    assert "sent to 1 units" in out
    versions = list(Briefing.objects.filter(day="2020-02-10").order_by("version").values_list("number", "version"))
    assert versions == [(1, 1), (1, 2)]
    assert Briefing.objects.get(day="2020-02-11").number == 2
    first.refresh_from_db()
    assert first.text == text

    client = as_user(office)
    page = client.get("/command/briefings/").content.decode()
    assert "第1期" in page and "第2期" in page
    assert "截至2月10日" in client.get(f"/command/briefings/{first.pk}/").content.decode()
    response = client.get(f"/command/briefings/{first.pk}/xlsx/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["调度线", "指标", "数值", "说明"]
    assert any(row[1] == "输入人员" for row in rows[1:])

    # The briefing is the city's: a community's user does not read it.
    community = f.user("community_staff", city.comm_1, username="comm_b")
    assert as_user(community).get("/command/briefings/").status_code == 403
    # It is sent up to the leaders: the committee's leader (the whole city) reads it.
    leader = f.user("leader", city.root, username="leader_b")
    assert "第1期" in as_user(leader).get("/command/briefings/").content.decode()
    assert json.loads(run("stats", "--as-of", "2020-02-10", "--json"))["command"] == {"lines_enabled": 10}
