"""The notification pages run the same number of queries for 3 rows as for 30."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.core.actors import SYSTEM
from fangkong.notify import services
from tests import factories as f
from tests.notify.servers import free_port


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def seed(city, office, start, count):
    for i in range(start, start + count):
        services.message_send(actor=SYSTEM, unit=city.dept_a, kind="manual", key=f"q{i}", subject=f"提醒{i}", body="尚未报送")
    services.deliver_due()  # no channel server: every robot delivery fails and is listed


def test_the_pages_do_not_grow_with_their_rows(city, as_user, settings):
    settings.NOTIFY_WEBHOOK_TIMEOUT = 1
    office = f.user("committee_office", city.root)
    liaison = f.user("unit_liaison", city.dept_a)
    services.channel_create(actor=office, unit=city.dept_a, kind="wecom", target=f"http://127.0.0.1:{free_port()}/robot")
    services.channel_create(actor=office, unit=city.dept_b, kind="email", target="a@b.example")
    seed(city, office, 0, 3)
    pages = ["/notify/", "/notify/deliveries/", "/notify/deliveries/?show=all", "/notify/channels/"]
    few = {url: queries(as_user(office if "deliveries" in url or "channels" in url else liaison), url) for url in pages}
    seed(city, office, 3, 27)
    many = {url: queries(as_user(office if "deliveries" in url or "channels" in url else liaison), url) for url in pages}
    assert few == many
    assert "提醒29" in as_user(office).get("/notify/deliveries/").content.decode()
