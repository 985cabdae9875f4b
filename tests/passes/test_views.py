"""The office's pass pages and the checkpoint page's endpoints, through HTTP."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.accounts.roles import Role
from fangkong.passes import services
from fangkong.passes.models import Pass, PassCheck

from .. import factories as f
from ..conftest import login_client


def test_the_office_issues_a_vehicle_pass_and_sees_plate_errors_in_chinese(city, office, window):
    client = login_client(office)
    r = client.post("/passes/new/vehicle/", {"plate": "吉F 1234", "unit": city.dept_a.pk,
                                              "valid_from": "2020-02-01", "valid_until": "2030-02-01"})
    assert r.status_code == 200 and "车牌号应为7位" in r.content.decode()
    r = client.post("/passes/new/vehicle/", {"plate": "吉f·d12345", "unit": city.dept_a.pk, "driver_name": "张师傅",
                                              "zones": [city.comm_1.pk], "valid_from": "2020-02-01",
                                              "valid_until": "2030-02-01"})
    assert r.status_code == 302
    p = Pass.objects.get()
    assert p.plate == "吉FD12345"
    detail = client.get(r["Location"]).content.decode()
    assert p.token in detail and "<svg" in detail and "红旗社区" in detail
    r = client.post("/passes/new/vehicle/", {"plate": "吉FD12345", "unit": city.dept_b.pk,
                                              "valid_from": "2020-02-01", "valid_until": "2030-02-01"})
    assert "已有一张在用的通行证" in r.content.decode()
    assert Pass.objects.count() == 1


def test_revoke_from_the_detail_page(city, office, staff_pass):
    client = login_client(office)
    r = client.post(f"/passes/{staff_pass.pk}/revoke/", {"reason": "调回"})
    assert r.status_code == 302
    staff_pass.refresh_from_db()
    assert staff_pass.status == "revoked" and staff_pass.status_reason == "调回"


def test_scope_roles_and_404s(city, office, staff_pass):
    liaison_b = f.user(Role.UNIT_LIAISON, city.dept_b)
    client = login_client(liaison_b)
    assert client.get(f"/passes/{staff_pass.pk}/").status_code == 404
    assert staff_pass.number not in client.get("/passes/").content.decode()
    assert client.post(f"/passes/{staff_pass.pk}/revoke/").status_code in (403, 404)
    assert client.get("/passes/new/staff/").status_code == 403
    guard = f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1)
    assert login_client(guard).get("/passes/").status_code == 403
    other_cp = f.unit("checkpoint", city.comm_2, "光明路卡点")
    assert login_client(guard).get(f"/passes/checkpoint/{other_cp.code}/").status_code == 404
    liaison_a = f.user(Role.UNIT_LIAISON, city.dept_a)
    assert login_client(liaison_a).get(f"/passes/{staff_pass.pk}/").status_code == 200
    assert login_client(liaison_a).get(f"/passes/checkpoint/{city.checkpoint_1.code}/").status_code == 403


def test_the_list_runs_the_same_queries_for_3_or_30_passes(city, office, window):
    client = login_client(office)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/passes/").status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        services.issue_vehicle_pass(actor=office, plate=f"吉F{20000 + i}", unit=city.dept_a, valid_from=window[0],
                                    valid_until=window[1])
    few = count()
    for i in range(27):
        services.issue_vehicle_pass(actor=office, plate=f"吉F{30000 + i}", unit=city.dept_a, valid_from=window[0],
                                    valid_until=window[1])
    assert count() == few


def test_print_view_gives_a_pdf(city, office, staff_pass):
    r = login_client(office).get("/passes/print/?kind=staff")
    assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")


def test_checkpoint_endpoints(city, guard, staff_pass):
    client = login_client(guard)
    page = client.get("/passes/checkpoint/")
    assert page.status_code == 302 and city.checkpoint_1.code in page["Location"]
    html = client.get(f"/passes/checkpoint/{city.checkpoint_1.code}/").content.decode()
    assert "fk-config" in html and "有效" in html
    assert client.get("/passes/checkpoint/sw.js")["Content-Type"].startswith("application/javascript")
    assert client.get("/passes/checkpoint/keys.json").json()["keys"][0]["kid"] == staff_pass.key.key_id
    def lookup(number):
        return client.post("/passes/checkpoint/lookup/", json.dumps({"number": number, "checkpoint": city.checkpoint_1.code}),
                           content_type="application/json")

    found = lookup(staff_pass.number).json()
    assert found["verdict"] == "valid" and found["claims"]["holder"] == "李爱丽"
    assert staff_pass.token not in json.dumps(found)  # the page gets the verdict and claims, never the token
    assert lookup("S000000").status_code == 400
    entry = {"id": "c1", "checkpoint": city.checkpoint_1.code, "pass_id": staff_pass.pk, "verdict": "valid",
             "direction": "in", "confirmed": True, "at": "2020-02-15T08:00:00+08:00", "offline": True}
    bad = [{"id": "c2", "checkpoint": "NOPE", "verdict": "valid", "at": "x"},
           {"id": "c3", "checkpoint": city.checkpoint_1.code, "verdict": "great", "at": "x"}]
    for _ in range(2):  # sent twice (a retried sync): stored once
        r = client.post("/passes/checkpoint/log/", json.dumps({"checks": [entry, *bad]}), content_type="application/json")
        assert r.json()["stored"] == ["c1"]
    check = PassCheck.objects.get()
    assert (check.source, check.direction, check.checked_by_id) == ("offline", "in", guard.pk)
    assert client.post("/passes/checkpoint/log/", "nonsense", content_type="application/json").status_code == 400


def test_a_rostered_cadre_checks_in_and_out_by_pass_at_the_checkpoint(city, guard, staff_pass):
    import datetime as dt

    from django.utils import timezone

    from fangkong.deployment.models import Assignment, Shift

    now = timezone.now()
    shift = Shift.objects.create(checkpoint=city.checkpoint_1, starts_at=now - dt.timedelta(minutes=30),
                                 ends_at=now + dt.timedelta(hours=7))
    client = login_client(guard)
    url = f"/passes/checkpoint/shift/?checkpoint={city.checkpoint_1.code}&pass_id={staff_pass.pk}"
    assert client.get(url).json() == {"shift": False}
    Assignment.objects.create(shift=shift, person=city.alice, checkpoint=city.checkpoint_1,
                              starts_at=shift.starts_at, ends_at=shift.ends_at)
    assert client.get(url).json() == {"shift": True}
    body = {"checkpoint": city.checkpoint_1.code, "pass_id": staff_pass.pk, "direction": "in"}
    r = client.post("/passes/checkpoint/checkin/", json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.content
    assert Assignment.objects.get().checked_in_at is not None
    r = client.post("/passes/checkpoint/checkin/", json.dumps({**body, "direction": "out"}),
                    content_type="application/json")
    assert r.status_code == 200 and Assignment.objects.get().checked_out_at is not None


def test_the_import_page_lists_row_errors_and_issues_nothing_then_all(city, office, tmp_path):
    from .test_api_cli import HEADER, _xlsx

    client = login_client(office)
    rows = [HEADER, ["车辆", "", "吉F12345", "张师傅", "", city.dept_a.code, "", "", "2020-02-10", "2030-03-10"],
            ["车辆", "", "吉F1234", "", "", city.dept_a.code, "", "", "2020-02-10", "2030-03-10"]]
    _xlsx(tmp_path / "a.xlsx", rows)
    with open(tmp_path / "a.xlsx", "rb") as fh:
        r = client.post("/passes/new/import/", {"file": fh})
    assert r.status_code == 400
    assert "第3行 车牌号" in r.content.decode()
    assert not Pass.objects.exists()
    _xlsx(tmp_path / "b.xlsx", rows[:2])
    with open(tmp_path / "b.xlsx", "rb") as fh:
        r = client.post("/passes/new/import/", {"file": fh})
    assert r.status_code == 302 and Pass.objects.get().plate == "吉F12345"


def test_a_holders_photo_is_shown_only_where_the_pass_is_valid(city, office, guard, window, settings, tmp_path):
    """The checkpoint page shows the holder's photo to compare faces; an officer elsewhere in the
    city, whose checkpoint the pass does not cover, gets nothing."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    for person in (city.alice, city.bob, city.carol):
        person.photo.save(f"{person.pk}.png", ContentFile(png.getvalue()))
    here = services.issue_staff_pass(actor=office, person=city.alice, valid_from=window[0], valid_until=window[1],
                                     zones=[city.comm_1])
    everywhere = services.issue_staff_pass(actor=office, person=city.bob, valid_from=window[0], valid_until=window[1])
    elsewhere = services.issue_staff_pass(actor=office, person=city.carol, valid_from=window[0],
                                          valid_until=window[1], zones=[city.comm_2])
    client = login_client(guard)

    def photo(c, p, **proof):
        return c.post(f"/passes/checkpoint/photo/{p.pk}/", json.dumps(proof), content_type="application/json")

    for p, status in [(here, 200), (everywhere, 200), (elsewhere, 404)]:
        for proof in ({"token": p.token}, {"number": p.number}):
            response = photo(client, p, **proof)
            assert response.status_code == status, (p, proof)
            if status == 200:
                assert b"".join(response.streaming_content) == png.getvalue()
    # The office, whose scope holds the pass, sees it.
    assert photo(login_client(office), elsewhere, number=elsewhere.number).status_code == 200


def test_a_holders_photo_needs_the_card_itself(city, office, guard, window, settings, tmp_path):
    """Pass ids are sequential: walking them without the pass's own code or number gives no face,
    and a code or number of another pass does not open this one."""
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    city.alice.photo.save("a.png", ContentFile(b"\x89PNG fake"))
    city.bob.photo.save("b.png", ContentFile(b"\x89PNG fake"))
    mine = services.issue_staff_pass(actor=office, person=city.alice, valid_from=window[0], valid_until=window[1])
    other = services.issue_staff_pass(actor=office, person=city.bob, valid_from=window[0], valid_until=window[1])
    client = login_client(guard)
    url = f"/passes/checkpoint/photo/{mine.pk}/"
    assert client.get(url).status_code == 405
    for body in ({}, {"number": other.number}, {"token": other.token}, {"token": mine.token[:-4] + "AAAA"},
                 {"number": "S000001"}):
        assert client.post(url, json.dumps(body), content_type="application/json").status_code == 404, body
    assert client.post(url, "[1]", content_type="application/json").status_code == 400
    assert client.post(url, json.dumps({"number": mine.number}), content_type="application/json").status_code == 200
