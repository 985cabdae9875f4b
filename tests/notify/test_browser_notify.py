"""In a real Chromium on a phone-sized screen: the unread badge, the inbox, configuring a robot."""

import pytest

from fangkong.core.actors import SYSTEM
from fangkong.notify import services
from fangkong.notify.models import Channel
from tests import factories as f
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_street_worker_reads_the_list_of_missing_communities(page, live_server, city):
    f.user("community_staff", city.street, username="street1")
    services.message_send(actor=SYSTEM, unit=city.street, kind="escalation", key="b1",
                          subject="【日报催报】1个单位未报送2月10日《社区日报》", body="- 红旗社区\n请督促其立即报送。")
    log_in(page, live_server, "street1", f.PASSWORD, wait=True)
    assert page.locator("#unread-count").inner_text() == "1"
    page.click("#inbox-link")
    assert "红旗社区" in page.locator("#inbox").inner_text()
    page.click("#mark-all-read")
    page.wait_for_load_state()
    assert page.locator("#unread-count").count() == 0


def test_the_office_adds_a_robot_and_a_bad_url_is_explained(page, live_server, city):
    f.user("committee_office", city.root, username="office1")
    log_in(page, live_server, "office1", f.PASSWORD, wait=True)
    page.goto(f"{live_server.url}/notify/channels/")
    page.select_option("#id_unit", label="东兴街道")
    page.select_option("#id_kind", "wecom")
    page.fill("#id_target", "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
    page.click("#channel-submit")
    assert "webhook 地址必须是以 http:// 或 https:// 开头的完整地址" in page.locator("#channel-form").inner_text()
    assert not Channel.objects.exists()
    page.fill("#id_target", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
    page.click("#channel-submit")
    page.wait_for_url(f"{live_server.url}/notify/channels/")
    table = page.locator("#channel-table").inner_text()
    assert "东兴街道" in table and "企业微信群机器人" in table and "key=abc" not in table
    assert Channel.objects.get().target.endswith("key=abc")
