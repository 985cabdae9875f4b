"""The publicity ledger (materials, media pushes, official forwards), model deeds, checklists,
the comparison and the stats block."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from python_calamine import CalamineWorkbook

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.stats import BLOCKS
from fangkong.publicity import comparison, services
from fangkong.publicity.models import ChecklistEntry, MediaPush, ScoreFormula
from tests import factories as f
from tests.conftest import login_client

TODAY = clock.today


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,x", "ftp://example.org/a", "//evil.org/x",
                                  "example.org/news"])
def test_a_media_push_link_must_be_http(city, outlet, link):
    liaison = f.user("unit_liaison", city.dept_a)
    with pytest.raises(ValidationError) as exc:
        services.media_push_create(actor=liaison, unit=city.dept_a, outlet=outlet, title="报道", pushed_on=TODAY(),
                                   link=link)
    assert "link" in exc.value.message_dict
    assert not MediaPush.objects.exists()


def test_media_pushes_and_forwards_stay_in_scope(city, outlet):
    liaison = f.user("unit_liaison", city.dept_a)
    push = services.media_push_create(actor=liaison, unit=city.dept_a, outlet=outlet, title="报道", pushed_on=TODAY(),
                                      link="https://news.example.org/1")
    assert push.link.startswith("https://")
    with pytest.raises(ValidationError):
        services.media_push_create(actor=liaison, unit=city.dept_b, outlet=outlet, title="报道", pushed_on=TODAY())
    with pytest.raises(ValidationError):
        services.media_push_create(actor=liaison, unit=city.dept_a, outlet=outlet, title="报道",
                                   pushed_on=TODAY() + dt.timedelta(days=1))
    services.forward_record(actor=liaison, unit=city.branch_a, person=city.alice, message="通告第1号", day=TODAY(),
                            count=3)
    with pytest.raises(ValidationError):
        services.forward_record(actor=liaison, unit=city.branch_a, person=city.bob, message="x", day=TODAY())
    web = login_client(liaison)
    page = web.post("/publicity/media-pushes/", {"unit": city.dept_a.pk, "outlet": outlet.pk, "kind": "news",
                                                  "title": "坏链接", "pushed_on": TODAY().isoformat(),
                                                  "link": "javascript:alert(1)"})
    assert page.status_code == 400 and not MediaPush.objects.filter(title="坏链接").exists()
    assert 'data-total="1"' in web.get("/publicity/media-pushes/").content.decode()


def test_a_model_deed_goes_from_nomination_to_the_public_page(city, member_user):
    cache.clear()
    secretary = f.user("branch_secretary", city.branch_a)
    deed = services.deed_nominate(actor=secretary, branch=city.branch_a, person=city.alice, title="卡点值守二十天",
                                  story="连续值守。")
    with pytest.raises(ValidationError):
        services.deed_nominate(actor=secretary, branch=city.branch_a, person=city.bob, title="x", story="y")
    with pytest.raises(PermissionDenied):
        services.deed_review(actor=secretary, deed=deed, decision="approved")
    office = f.user("committee_office", city.root)
    with pytest.raises(ValidationError):
        services.deed_review(actor=office, deed=deed, decision="published")  # not approved yet
    assert "卡点值守二十天" not in Client().get("/publicity/public/deeds/").content.decode()
    services.deed_review(actor=office, deed=deed, decision="approved")
    web = login_client(office)
    assert web.post(f"/publicity/deeds/{deed.pk}/", {"decision": "published"}).status_code == 302
    deed.refresh_from_db()
    assert deed.status == "published" and deed.published_at
    html = Client().get("/publicity/public/deeds/").content.decode()
    assert "卡点值守二十天" in html and "李爱丽" in html and "市民政局" in html
    assert city.alice.phone_masked not in html and city.alice.id_masked not in html


def test_a_branch_fills_the_checklists(city):
    secretary = f.user("branch_secretary", city.branch_a)
    entry = services.checklist_save(actor=secretary, person=city.alice, kind="six", items=["vanguard", "duty"])
    assert entry.items == ["vanguard", "duty"]
    with pytest.raises(ValidationError):
        services.checklist_save(actor=secretary, person=city.alice, kind="four", items=["nonsense"])
    with pytest.raises(ValidationError):
        services.checklist_save(actor=secretary, person=city.bob, kind="four", items=[])
    web = login_client(secretary)
    assert web.post("/publicity/checklists/", {"person": city.alice.pk, "kind": "four",
                                               "items": ["obey", "volunteer"]}).status_code == 302
    assert ChecklistEntry.objects.get(kind="four").items == ["obey", "volunteer"]
    page = web.get(f"/publicity/checklists/?branch={city.branch_a.pk}").content.decode()
    assert "李爱丽" in page and "带头参加志愿服务" in page


def test_a_formula_naming_an_unknown_item_is_refused(city):
    office = f.user("committee_office", city.root)
    for bad in ("10*donations + media_pushes", "__import__('os')", "media_pushes ** 2", "pledge_rate.real", "",
                "1e308*1e308*media_pushes", "9" * 400, "'text'", "True + media_pushes"):
        with pytest.raises(ValidationError):
            services.formula_save(actor=office, name="x", expression=bad, since=TODAY())
    assert not ScoreFormula.objects.exists()
    web = login_client(office)
    response = web.post("/publicity/comparison/", {"name": "x", "expression": "supervision_findings*2",
                                                   "since": "2020-01-27"})
    assert response.status_code == 400 and "supervision_findings" in response.content.decode()
    formula = services.formula_save(actor=office, name="综合", expression="100*pledge_rate + media_pushes",
                                    since=TODAY() - dt.timedelta(days=5))
    assert formula.is_active


def test_another_app_can_register_an_item(city):
    office = f.user("committee_office", city.root)
    comparison.register_item(comparison.Item("test_item", "测试", "测试", lambda ids, s, u: {}, lambda *a: ([], [])))
    try:
        services.formula_save(actor=office, name="x", expression="test_item + 1", since=TODAY())
    finally:
        comparison.ITEMS.pop("test_item")


def test_the_ranking_shows_the_formula_and_each_score_traces_to_its_records(city, pledge, outlet):
    services.pledge_sign(actor=SYSTEM, pledge=pledge, person=city.alice)
    services.media_push_create(actor=SYSTEM, unit=city.dept_b, outlet=outlet, title="报道", pushed_on=TODAY())
    office = f.user("committee_office", city.root)
    services.formula_save(actor=office, name="综合", expression="100*pledge_rate + media_pushes",
                          since=TODAY() - dt.timedelta(days=5))
    result = comparison.ranking("100*pledge_rate + media_pushes", TODAY() - dt.timedelta(days=5), TODAY())
    scores = {r["unit"].name: r["score"] for r in result["rows"]}
    assert scores == {"市民政局": 100.0, "市教育局": 1.0}
    web = login_client(office)
    page = web.get(f"/publicity/comparison/?day={TODAY().isoformat()}").content.decode()
    assert "100*pledge_rate + media_pushes" in page and "100.0% (1/1)" in page
    records = web.get(f"/publicity/comparison/pledge_rate/{city.dept_a.pk}/?until={TODAY().isoformat()}")
    assert records.status_code == 200 and "李爱丽" in records.content.decode()
    assert web.get(f"/publicity/comparison/unknown/{city.dept_a.pk}/").status_code == 404
    liaison = login_client(f.user("unit_liaison", city.dept_b))
    assert liaison.get(f"/publicity/comparison/pledge_rate/{city.dept_a.pk}/").status_code == 404
    export = web.get(f"/publicity/comparison/export/?day={TODAY().isoformat()}")
    assert export.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.content)).get_sheet_by_index(0).to_python()
    assert rows[1][1] == "市民政局" and rows[1][2] == 100.0


def test_the_stats_block(city, pledge, outlet):
    services.pledge_sign(actor=SYSTEM, pledge=pledge, person=city.alice)
    services.media_push_create(actor=SYSTEM, unit=city.dept_b, outlet=outlet, title="报道", pushed_on=TODAY())
    services.forward_record(actor=SYSTEM, unit=city.branch_a, message="通告", day=TODAY(), count=7)
    block = BLOCKS["publicity"](TODAY())
    assert block == {"pledge_signatures": 1, "pledge_forwards": 0, "official_forwards": 7, "media_pushes": 1,
                     "model_deeds_published": 0}
    assert BLOCKS["publicity"](TODAY() - dt.timedelta(days=1))["official_forwards"] == 0
