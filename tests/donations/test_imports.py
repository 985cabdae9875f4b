"""Donation lists and needs from spreadsheets: all or nothing, problems named by row and column,
unknown items and donors answered with the closest names; the certificate and the exports."""

import pytest
from django.urls import reverse

from fangkong.core.actors import SYSTEM
from fangkong.core.excel import write_xlsx
from fangkong.donations import services
from fangkong.donations.imports import commit_list, plan_list
from fangkong.donations.models import Intake, Need
from tests.conftest import login_client


def _file(tmp_path, headers, rows):
    content, _n = write_xlsx(headers, rows, sheet="清单")
    path = tmp_path / "list.xlsx"
    path.write_bytes(content)
    return path


def test_a_donation_list_with_problems_writes_nothing_and_suggests_names(tmp_path, goods):
    path = _file(tmp_path, ["序号", "捐赠单位", "物资名称", "数量", "计量单位"], [
        [1, "市民政局", "消毒液", "10", "公斤"],
        [2, "市民证局", "手套", "5", ""],
        [3, "市民政局", "手套子", "5", ""],
        [4, "市民政局", "手套", "1.5", ""],
        [5, "市民政局", "手套", "-2", ""],
        [6, "市民政局", "手套", "3", "公斤"],
    ])
    plan = plan_list(path, kind="donations", actor=SYSTEM)
    problems = {(p.row, p.column): p.reason for p in plan.problems}
    assert "是否是：市民政局" in problems[(3, "捐赠单位")]
    assert "是否是：手套" in problems[(4, "物资名称")]
    assert "不是整数" in problems[(5, "数量")]
    assert (6, "数量") in problems and (7, "数量") in problems
    with pytest.raises(ValueError):
        commit_list(plan, actor=SYSTEM, store=goods.store)
    assert Intake.objects.count() == 0


def test_a_clean_donation_list_is_imported_converted(tmp_path, goods):
    path = _file(tmp_path, ["捐赠方", "物资", "数量", "单位", "入库日期"],
                 [["市民政局", "消毒液", "10", "公斤", "2020-02-03"], ["市民政局", "手套", "20", "副", "2020-02-03"]])
    plan = plan_list(path, kind="donations", actor=SYSTEM)
    assert plan.ok, plan.problems
    assert commit_list(plan, actor=SYSTEM, store=goods.store) == 2
    assert services.balance_of(goods.store, goods.disinfectant) == 20


def test_needs_list_through_the_page(tmp_path, city, goods, office):
    path = _file(tmp_path, ["需求单位", "物资名称", "数量", "用途"],
                 [["红旗社区", "口罩", "200", "卡点值守"], ["江北路卡点", "手套", "20", "值守"]])
    client = login_client(office)
    with path.open("rb") as fh:
        response = client.post(reverse("donations:import"), {"kind": "needs", "store": goods.store.pk, "file": fh})
    # Checked and shown first; nothing written until confirmed.
    assert response.status_code == 200, response.content.decode()[:3000]
    page = response.content.decode()
    assert 'id="import-preview"' in page and "卡点值守" in page and "江北路卡点" in page
    assert Need.objects.count() == 0
    sha = response.context["plan"].sha256
    confirm = {"commit": "1", "kind": "needs", "store": goods.store.pk, "file_name": "list.xlsx"}
    # A confirmation that names another file than the one previewed writes nothing.
    stale = client.post(reverse("donations:import"), {**confirm, "sha256": "0" * 64})
    assert stale.status_code == 302 and Need.objects.count() == 0
    with path.open("rb") as fh:
        client.post(reverse("donations:import"), {"kind": "needs", "store": goods.store.pk, "file": fh})
    done = client.post(reverse("donations:import"), {**confirm, "sha256": sha})
    assert done.status_code == 302 and Need.objects.count() == 2
    # The kept file is gone once written: confirming again writes nothing more.
    assert client.post(reverse("donations:import"), {**confirm, "sha256": sha}).status_code == 302
    assert Need.objects.count() == 2


def test_an_unknown_column_is_placed_on_the_page_and_remembered(tmp_path, city, goods, office):
    path = _file(tmp_path, ["捐赠方", "物资", "数量", "经手人电话"], [["市民政局", "手套", "20", "13900000000"]])
    client = login_client(office)
    data = {"kind": "donations", "store": goods.store.pk}
    with path.open("rb") as fh:
        asked = client.post(reverse("donations:import"), {**data, "file": fh})
    assert asked.status_code == 400
    assert 'id="mapping-table"' in asked.content.decode() and "经手人电话" in asked.content.decode()
    with path.open("rb") as fh:
        wrong = client.post(reverse("donations:import"), {**data, "file": fh, "mapping": "经手人电话=phone"})
    assert wrong.status_code == 400 and "phone" in wrong.content.decode()
    with path.open("rb") as fh:
        placed = client.post(reverse("donations:import"), {**data, "file": fh, "mapping": "经手人电话=skip"})
    assert placed.status_code == 200 and 'id="import-preview"' in placed.content.decode()
    done = client.post(reverse("donations:import"), {**data, "commit": "1", "sha256": placed.context["plan"].sha256,
                                                     "file_name": "list.xlsx"})
    assert done.status_code == 302 and Intake.objects.count() == 1
    with path.open("rb") as fh:  # the same layout again: placed already
        assert client.post(reverse("donations:import"), {**data, "file": fh}).status_code == 200


def test_certificate_and_exports(city, goods, office):
    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="20", donor=goods.donor,
                           received_by="张库管")
    client = login_client(office)
    assert client.post(goods.donor.get_absolute_url()).status_code == 302
    goods.donor.refresh_from_db()
    assert goods.donor.certificate_number.startswith("白直工捐〔")
    pdf = client.get(reverse("donations:certificate", args=[goods.donor.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for name in ("donor", "pledge", "lead", "intake", "need", "distribution"):
        response = client.get(reverse(f"donations:{name}_export"))
        assert response.status_code == 200 and response.content[:2] == b"PK", name
