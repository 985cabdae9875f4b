"""The pass pages a clerk works with: the holder picker (in scope only, masked), the zone tree,
printing one pass or a list, dates in one form, and the checkpoint page's manifest and icons."""

import datetime as dt
import re

from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.passes import services
from fangkong.passes.models import Pass, PassCheck
from fangkong.passes.templatetags.pass_dates import date_range_zh, last_day_iso

from .. import factories as f
from ..conftest import login_client

TZ = timezone.get_fixed_timezone(8 * 60)


def picker(client, q, **extra):
    r = client.get("/passes/new/staff/people/", {"q": q, **extra}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    return r.content.decode()


def test_the_holder_picker_finds_by_name_initials_and_unit_and_shows_masks_only(city, office):
    client = login_client(office)
    by_name = picker(client, "爱丽")
    assert "李爱丽" in by_name and f'value="{city.alice.pk}"' in by_name
    assert "李爱丽" in picker(client, "lal")
    by_unit = picker(client, "市教育局")
    assert "王博" in by_unit and "李爱丽" not in by_unit
    for person in (city.alice, city.bob):
        page = picker(client, person.name)
        assert person.id_number not in page and person.id_number[6:14] not in page  # no birth date
        assert person.masked_id_number in page and str(person.birth_year) not in page
    assert "没有匹配的人员" in picker(client, "查无此人")


def test_the_holder_picker_never_finds_or_accepts_anyone_outside_scope(city, window):
    street_office = f.user(Role.COMMITTEE_OFFICE, city.street)
    client = login_client(street_office)
    assert "赵春兰" in picker(client, "zcl") and "孙二娥" in picker(client, "卡点")
    for text in ("李爱丽", "lal", "市民政局", "民政", city.alice.id_number, city.alice.id_number[-4:]):
        page = picker(client, text)
        assert "李爱丽" not in page and f'value="{city.alice.pk}"' not in page, text
    # A person id from elsewhere, handed to the list as "the one already chosen", is not shown.
    assert "李爱丽" not in picker(client, "", person=city.alice.pk)
    # Nor issued to, posted by hand.
    r = client.post("/passes/new/staff/", {"person": city.alice.pk, "valid_from": "2020-02-01", "valid_until": "2020-02-29"})
    assert r.status_code == 200 and "不在您的管理范围内" in r.content.decode()
    assert not Pass.objects.exists()
    # A role that may not issue passes gets no list at all.
    liaison = f.user(Role.UNIT_LIAISON, city.dept_a)
    assert login_client(liaison).get("/passes/new/staff/people/", {"q": "李"}).status_code == 403


def test_the_chosen_holder_stays_on_top_of_a_new_search(city, office):
    page = picker(login_client(office), "王", person=city.alice.pk)
    assert page.index("李爱丽") < page.index("王博")
    assert re.search(rf'value="{city.alice.pk}" checked', page)


def test_issue_with_the_picker_and_a_ticked_street_names_the_street_alone(city, office):
    client = login_client(office)
    form = client.get("/passes/new/staff/").content.decode()
    assert 'name="id_number"' not in form and 'hx-get="/passes/new/staff/people/"' in form
    # The zone tree: street, its communities below it, the checkpoint below its community.
    tree = form[form.index("data-zone-tree"):]
    assert tree.index("东兴街道") < tree.index("红旗社区") < tree.index("江北路卡点") < tree.index("光明社区")
    assert "U0" not in tree  # names, not codes
    r = client.post("/passes/new/staff/", {
        "person": city.alice.pk, "zones": [city.street.pk, city.comm_1.pk, city.comm_2.pk, city.checkpoint_1.pk],
        "valid_from": "2020-02-01", "valid_until": "2020-02-29",
    })
    assert r.status_code == 302, r.content.decode()
    p = Pass.objects.get()
    assert p.person == city.alice and [z.pk for z in p.zones.all()] == [city.street.pk]
    assert (p.valid_from, p.valid_until) == (dt.datetime(2020, 2, 1, tzinfo=TZ), dt.datetime(2020, 3, 1, tzinfo=TZ))
    # Some of a street: the communities ticked, not the street.
    r = client.post("/passes/new/staff/", {
        "person": city.carol.pk, "zones": [city.comm_1.pk, city.checkpoint_1.pk],
        "valid_from": "2020-02-01", "valid_until": "2020-02-29",
    })
    assert r.status_code == 302
    assert [z.pk for z in Pass.objects.get(person=city.carol).zones.all()] == [city.comm_1.pk]


def test_a_form_shown_again_keeps_the_holder_and_the_ticks(city, office):
    r = login_client(office).post("/passes/new/staff/", {
        "person": city.alice.pk, "zones": [city.comm_1.pk], "valid_from": "2020-02-29", "valid_until": "2020-02-01",
    })
    page = r.content.decode()
    assert r.status_code == 200 and not Pass.objects.exists()
    assert re.search(rf'value="{city.alice.pk}" checked', page)
    assert re.search(rf'value="{city.comm_1.pk}" checked', page)
    assert 'class="branch open"' in page  # the street that holds the ticked community is unfolded


def test_dates_read_the_same_everywhere():
    start, end = dt.datetime(2020, 2, 1, tzinfo=TZ), dt.datetime(2020, 3, 1, tzinfo=TZ)
    assert date_range_zh(start, end) == "2020年2月1日–2月29日"
    assert date_range_zh(start.astimezone(dt.UTC), end.astimezone(dt.UTC)) == "2020年2月1日–2月29日"
    assert date_range_zh(dt.datetime(2020, 12, 1, tzinfo=TZ), dt.datetime(2021, 2, 1, tzinfo=TZ)) == "2020年12月1日–2021年1月31日"
    assert date_range_zh(start, dt.datetime(2020, 2, 2, tzinfo=TZ)) == "2020年2月1日"
    assert date_range_zh(dt.date(2020, 2, 1), dt.date(2020, 2, 29)) == "2020年2月1日–2月29日"
    assert date_range_zh(start.replace(hour=8), start.replace(hour=18)) == "2020年2月1日 08:00–18:00"
    assert date_range_zh(start.replace(hour=8), end.replace(hour=18)) == "2020年2月1日 08:00–3月1日 18:00"
    assert last_day_iso(end) == "2020-02-29" and last_day_iso(end.replace(hour=12)) == "2020-03-01"


def issued(office, city, *, plate, days=(1, 29)):
    return services.issue_vehicle_pass(
        actor=office, plate=plate, unit=city.dept_a, valid_from=dt.datetime(2020, 2, days[0], tzinfo=TZ),
        valid_until=dt.datetime(2020, 2, days[1], tzinfo=TZ) + dt.timedelta(days=1),
    )


def test_the_detail_page_prints_one_pass_and_says_the_period_in_prose(city, office):
    p = issued(office, city, plate="吉F12345")
    client = login_client(office)
    detail = client.get(f"/passes/{p.pk}/").content.decode()
    assert "有效期" in detail and "2020年2月1日–2月29日" in detail and "2020-03-01 00:00" not in detail
    assert f'href="/passes/{p.pk}/print/"' in detail and ">打印<" in detail
    card = client.get(f"/passes/{p.pk}/print/").content.decode()
    assert 'id="pass-card"' in card and "吉F12345" in card and p.number in card and "<svg" in card
    assert "有效期 2020年2月1日–2月29日" in card and "data-print" in card and 'id="not-issued"' not in card
    services.revoke_pass(actor=office, p=p, reason="丢失")
    assert 'id="not-issued"' in client.get(f"/passes/{p.pk}/print/").content.decode()
    liaison_b = f.user(Role.UNIT_LIAISON, city.dept_b)
    assert login_client(liaison_b).get(f"/passes/{p.pk}/print/").status_code == 404


def test_printing_the_list_asks_first_with_the_count_and_pages(city, office):
    for n in range(9):
        issued(office, city, plate=f"吉F2000{n}")
    services.revoke_pass(actor=office, p=Pass.objects.first(), reason="丢失")
    page = login_client(office).get("/passes/").content.decode()
    ask = re.search(r'id="print"\s+data-confirm="([^"]+)"', page)
    assert ask, page
    assert "8 张" in ask.group(1) and "共 1 页" in ask.group(1)
    issued(office, city, plate="吉F30001")
    issued(office, city, plate="吉F30002")
    page = login_client(office).get("/passes/").content.decode()
    assert "10 张" in page and "共 2 页" in page
    assert ">2020-02-29<" in page  # the table: ISO, the last day


def test_the_check_table_says_who_checked(city, office, guard):
    p = issued(office, city, plate="吉F12345")
    services.record_check(actor=guard, checkpoint=city.checkpoint_1, verdict="valid", pass_id=p.pk, direction="in",
                          confirmed=True)
    page = login_client(office).get(f"/passes/{p.pk}/").content.decode()
    assert "查验人" in page and "随访人" not in page


def test_the_page_log_records_a_passage_for_a_valid_pass_only(city, guard, staff_pass):
    client = login_client(guard)
    r = client.post("/passes/checkpoint/log/", {"checks": [
        {"id": "a", "checkpoint": city.checkpoint_1.code, "pass_id": staff_pass.pk, "verdict": "expired",
         "direction": "in", "confirmed": True, "at": timezone.now().isoformat()},
        {"id": "b", "checkpoint": city.checkpoint_1.code, "pass_id": staff_pass.pk, "verdict": "valid",
         "direction": "in", "confirmed": True, "at": timezone.now().isoformat()},
    ]}, content_type="application/json")
    assert r.json()["stored"] == ["a", "b"]
    refused, passed = PassCheck.objects.get(client_id="a"), PassCheck.objects.get(client_id="b")
    assert (refused.confirmed, refused.direction, refused.verdict) == (False, "", "expired")
    assert (passed.confirmed, passed.direction) == (True, "in")


def test_the_checkpoint_page_has_a_manifest_icons_and_ways_out(city, guard, client):
    page = login_client(guard).get(f"/passes/checkpoint/{city.checkpoint_1.code}/").content.decode()
    assert 'rel="manifest" href="/passes/checkpoint/manifest.webmanifest"' in page
    assert 'id="home-link"' in page and 'action="/accounts/logout/"' in page
    assert "有效期" in page
    assert 'id="confirm" hidden' in page  # nothing to let through before a verdict
    r = client.get("/passes/checkpoint/manifest.webmanifest")  # fetched without credentials
    assert r.status_code == 200 and r["Content-Type"] == "application/manifest+json"
    manifest = r.json()
    assert manifest["display"] == "standalone" and manifest["theme_color"] and manifest["name"]
    assert manifest["start_url"] == "/passes/checkpoint/"
    sizes = {}
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and icon["type"] == "image/png"
        body = b"".join(png.streaming_content) if png.streaming else png.content
        assert body[:8] == b"\x89PNG\r\n\x1a\n"
        sizes[icon["sizes"]] = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_no_favicon_404(client):
    r = client.get("/favicon.ico", follow=True)
    assert r.status_code == 200
    body = b"".join(r.streaming_content) if r.streaming else r.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
