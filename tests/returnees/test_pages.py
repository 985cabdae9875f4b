"""The ledger's pages: list, timeline, registration from both sides, follow-ups, isolation
actions, reconciliation, imports and export, all through HTTP and inside the user's scope."""

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.returnees import services
from fangkong.returnees.models import FollowUp, IsolationOrder, LedgerImport, Returnee
from tests import factories as f

TODAY = timezone.localdate()


def person(city, actor=SYSTEM, side="unit", **extra):
    data = {"name": "刘返乡", "id_number": f.id_number(), "phone": "13900001111", "unit": city.dept_a,
            "community": city.comm_1, "category": "outside", "return_date": TODAY - dt.timedelta(days=3),
            "origin_text": "湖北省武汉市"}
    data.update(extra)
    return services.register(actor=actor, side=side, **data)


@pytest.fixture
def office(city, as_user):
    return as_user(f.user("committee_office", city.root))


@pytest.fixture
def ledger(city):
    """Two people in comm_1 (one dual-reported), one in comm_2 reported by dept_b."""
    both = person(city, name="刘返乡")
    person(city, side="community", id_number=both.id_number)
    person(city, name="陈归来", unit=city.industry)
    other = person(city, name="周外社", unit=city.dept_b, community=city.comm_2)
    return {"both": Returnee.objects.get(pk=both.pk), "other": other}


def test_it_answers_every_page_for_the_committee_office(city, office, ledger):
    pk = ledger["both"].pk
    imp = LedgerImport.objects.create(side="unit", file_name="a.xlsx", sha256="0" * 64, uploaded_by=f.user(
        "committee_office", city.root), scope_unit=city.root, status="preview")
    for url in ("/returnees/", "/returnees/export/", f"/returnees/{pk}/", f"/returnees/{pk}/edit/",
                "/returnees/register/unit/", "/returnees/register/community/", "/returnees/follow-ups/",
                "/returnees/reconciliation/", "/returnees/reconciliation/?date=2020-02-10&time=09:30",
                "/returnees/imports/", f"/returnees/imports/{imp.pk}/"):
        response = office.get(url)
        assert response.status_code == 200, url
    nav = office.get("/").content.decode()
    assert 'href="/returnees/"' in nav


def test_it_shows_the_ledger_masked_with_the_dual_state(city, office, ledger):
    html = office.get("/returnees/").content.decode()
    both = ledger["both"]
    assert both.name in html and both.masked_id_number in html
    assert both.id_number not in html and both.phone not in html
    partial = office.get("/returnees/", {"dual": "unit_only"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "陈归来" in partial and "刘返乡" not in partial
    assert "周外社" in office.get("/returnees/", {"community": city.comm_2.pk}).content.decode()
    assert "周外社" not in office.get("/returnees/", {"community": city.comm_1.pk}).content.decode()


def test_a_community_user_sees_only_their_community(city, as_user, ledger):
    client = as_user(f.user("community_staff", city.comm_1))
    html = client.get("/returnees/").content.decode()
    assert "刘返乡" in html and "陈归来" in html and "周外社" not in html
    assert client.get(f"/returnees/{ledger['other'].pk}/").status_code == 404
    assert client.get(f"/returnees/{ledger['both'].pk}/").status_code == 200
    assert client.post(f"/returnees/{ledger['other'].pk}/follow-ups/", {
        "day": TODAY.isoformat(), "temperature": "36.5"}).status_code == 404


def test_roles_without_the_ledger_are_refused(city, as_user, ledger):
    client = as_user(f.user("checkpoint_staff", city.checkpoint_1))
    assert client.get("/returnees/").status_code == 403
    inspector = as_user(f.user("inspection_group", city.root))
    assert inspector.get("/returnees/register/community/").status_code == 403
    assert inspector.post(f"/returnees/{ledger['both'].pk}/merge/", {"other": ledger["other"].pk}).status_code == 403


def test_registering_on_both_forms_makes_one_dual_reported_record(city, as_user):
    liaison = as_user(f.user("unit_liaison", city.dept_a))
    staff = as_user(f.user("community_staff", city.comm_1))
    number = f.id_number()
    form = staff.get("/returnees/register/community/").content.decode()
    assert f'<option value="{city.comm_1.pk}" selected>' in form  # the only community in scope
    response = staff.post("/returnees/register/community/", {
        "community": city.comm_1.pk, "name": "黄回家", "id_number": number.lower(), "phone": "139 0000 2222",
        "unit": city.dept_a.pk, "category": "outside", "origin_text": "湖北武汉江汉区", "return_date": "2020-02-03",
    })
    assert response.status_code == 302
    returnee = Returnee.objects.get()
    assert returnee.dual_state == "community_only" and returnee.origin_code == "420103"
    response = liaison.post("/returnees/register/unit/", {
        "unit": city.dept_a.pk, "name": "黄回家", "id_number": number, "category": "outside",
        "return_date": "2020-02-03",
    }, follow=True)
    assert response.status_code == 200 and "黄回家" in response.content.decode()
    returnee = Returnee.objects.get()
    assert returnee.dual_state == "both" and returnee.registrations.count() == 2
    assert IsolationOrder.objects.filter(returnee=returnee).count() == 1


def test_registration_errors_land_on_the_form_fields(city, as_user):
    staff = as_user(f.user("community_staff", city.comm_1))
    number = f.id_number()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = staff.post("/returnees/register/community/", {
        "community": city.comm_1.pk, "name": "黄回家", "id_number": bad, "category": "outside"})
    assert response.status_code == 400
    assert 'id="id_id_number"' in response.content.decode() and "errorlist" in response.content.decode()
    # A community outside the scope is not among the choices.
    response = staff.post("/returnees/register/community/", {
        "community": city.comm_2.pk, "name": "黄回家", "id_number": number, "category": "outside"})
    assert response.status_code == 400 and not Returnee.objects.exists()


def test_the_follow_up_form_records_and_refuses_a_day_outside_the_isolation(city, as_user, ledger):
    user = f.user("community_staff", city.comm_1)
    client = as_user(user)
    returnee = ledger["both"]
    page = client.get("/returnees/follow-ups/").content.decode()
    assert "刘返乡" in page and "周外社" not in page
    response = client.post(f"/returnees/{returnee.pk}/follow-ups/", {
        "day": TODAY.isoformat(), "temperature": "36.6", "symptoms": "", "at_home": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    follow_up = FollowUp.objects.get()
    assert follow_up.day == TODAY and follow_up.checked_by == user and str(follow_up.temperature) == "36.6"
    before = returnee.return_date - dt.timedelta(days=1)
    response = client.post(f"/returnees/{returnee.pk}/follow-ups/", {
        "day": before.isoformat(), "temperature": "36.6", "at_home": "on"}, follow=True)
    assert "outside the isolation" in response.content.decode() or "隔离期" in response.content.decode()
    assert FollowUp.objects.count() == 1
    # The list marks the person done for today, and earlier missed days as overdue.
    page = client.get("/returnees/follow-ups/").content.decode()
    assert "badge ok" in page and "badge bad" in page


def test_extend_and_release_through_the_timeline(city, as_user, ledger):
    client = as_user(f.user("community_staff", city.comm_1))
    returnee = ledger["both"]
    order = IsolationOrder.objects.get(returnee=returnee)
    end = order.planned_end
    client.post(f"/returnees/{returnee.pk}/isolation/change/",
                {"kind": "extend", "days": "7", "reason": "同住人发热", "approver": "王主任"})
    order.refresh_from_db()
    assert order.planned_end == end + dt.timedelta(days=7) and order.changes.get().approver == "王主任"
    client.post(f"/returnees/{returnee.pk}/isolation/change/",
                {"kind": "shorten", "days": "2", "reason": "核酸阴性", "approver": "王主任"})
    order.refresh_from_db()
    assert order.planned_end == end + dt.timedelta(days=5)
    client.post(f"/returnees/{returnee.pk}/isolation/release/", {"day": TODAY.isoformat(), "note": "期满"})
    order.refresh_from_db()
    assert order.released_on == TODAY and order.release_note == "期满"
    html = client.get(f"/returnees/{returnee.pk}/").content.decode()
    assert "同住人发热" in html and "核酸阴性" in html and "期满" in html
    # Released: no more actions, and a second release is refused.
    assert 'id="release-form"' not in html
    response = client.post(f"/returnees/{returnee.pk}/isolation/release/", {"day": TODAY.isoformat()}, follow=True)
    assert IsolationOrder.objects.get(pk=order.pk).released_on == TODAY
    assert "errorlist" in response.content.decode() or "error" in response.content.decode()


def test_a_liaison_may_not_change_isolation(city, as_user, ledger):
    client = as_user(f.user("unit_liaison", city.dept_a))
    response = client.post(f"/returnees/{ledger['both'].pk}/isolation/release/", {"day": TODAY.isoformat()})
    assert response.status_code == 403


def test_it_reveals_on_request_and_audits_each_reveal(city, as_user, ledger):
    user = f.user("community_staff", city.comm_1)
    returnee = ledger["both"]
    response = as_user(user).post(f"/returnees/{returnee.pk}/reveal/id_number/")
    assert response.status_code == 200 and returnee.id_number in response.content.decode()
    assert AuditEntry.objects.get(action="reveal", actor=user).detail == "id_number"
    inspector = as_user(f.user("inspection_group", city.root))
    assert inspector.post(f"/returnees/{returnee.pk}/reveal/id_number/").status_code == 403


def test_the_edit_form_saves_through_the_service(city, as_user, ledger):
    client = as_user(f.user("unit_liaison", city.dept_a))
    returnee = ledger["both"]
    response = client.post(f"/returnees/{returnee.pk}/edit/", {
        "name": "刘返乡", "phone": "13900003333", "category": "relative", "origin_text": "广东省深圳市",
        "return_date": returnee.return_date.isoformat()})
    assert response.status_code == 302
    returnee.refresh_from_db()
    assert returnee.phone == "13900003333" and returnee.origin_code == "440300" and returnee.category == "relative"


def test_export_is_masked_for_the_inspection_group_and_audited(city, as_user, ledger):
    user = f.user("inspection_group", city.root)
    response = as_user(user).get("/returnees/export/", {"line": "organs"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "姓名" and len(rows) == 3  # header + the two organ-line people
    flat = " ".join(str(c) for row in rows for c in row)
    both = ledger["both"]
    assert both.id_number not in flat and both.masked_id_number in flat and both.phone not in flat
    entry = AuditEntry.objects.get(action="export", actor=user)
    assert "rows=2" in entry.detail and "clear=False" in entry.detail


def test_export_is_clear_for_roles_that_may_reveal(city, as_user, ledger):
    response = as_user(f.user("committee_office", city.root)).get("/returnees/export/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert ledger["both"].id_number in " ".join(str(c) for row in rows for c in row)


def test_reconciliation_lists_who_must_act(city, as_user):
    liaison = f.user("unit_liaison", city.dept_a)
    staff = f.user("community_staff", city.comm_1)
    tz = timezone.get_current_timezone()
    on = dt.datetime(2020, 2, 5, 10, tzinfo=tz)
    a = person(city, actor=liaison, name="甲单位", registered_at=on)
    person(city, actor=staff, side="community", name="甲单位", id_number=a.id_number,
           registered_at=on + dt.timedelta(days=2))
    person(city, actor=liaison, name="乙单位", registered_at=on)
    person(city, actor=staff, side="community", name="丙瞒报", unit=city.dept_a, registered_at=on)
    client = as_user(f.user("committee_office", city.root))
    html = client.get("/returnees/reconciliation/", {"date": "2020-02-06"}).content.decode()
    missing = html.split('id="missing"')[1].split("</table>")[0]
    assert "甲单位" in missing and "乙单位" in missing and "丙瞒报" in missing
    suspects = html.split('id="suspects"')[1].split("</table>")[0]
    assert "丙瞒报" in suspects and "红旗社区" in suspects and "甲单位" not in suspects
    html = client.get("/returnees/reconciliation/", {"date": "2020-02-08"}).content.decode()
    assert "甲单位" not in html.split('id="missing"')[1].split("</table>")[0]
    assert 'id="rate">33.3%<' in html  # one of the three is on both sides
    assert client.get("/returnees/reconciliation/", {"date": "2020-02-06", "time": "09:00"}).status_code == 200


def test_possible_duplicates_are_merged_from_the_reconciliation_page(city, as_user):
    first = person(city, name="吴重复")
    second = person(city, name="吴重复", side="community", unit=None)
    client = as_user(f.user("committee_office", city.root))
    html = client.get("/returnees/reconciliation/").content.decode()
    duplicates = html.split('id="duplicates"')[1].split("</table>")[0]
    assert first.masked_id_number in duplicates and second.masked_id_number in duplicates
    response = client.post(f"/returnees/{first.pk}/merge/", {"other": second.pk})
    assert response.status_code == 302
    kept = Returnee.objects.get()
    assert kept.pk == first.pk and kept.dual_state == "both"
    assert AuditEntry.objects.filter(object_type="returnees.returnee", object_id=str(second.pk),
                                     action="delete").exists()


def test_merging_needs_both_records_in_scope(city, as_user, ledger):
    client = as_user(f.user("committee_office", city.comm_1))
    response = client.post(f"/returnees/{ledger['both'].pk}/merge/", {"other": ledger["other"].pk})
    assert response.status_code == 404 and Returnee.objects.filter(pk=ledger["other"].pk).exists()


def test_an_upload_over_the_size_limit_is_refused_before_it_is_stored(city, as_user, settings):
    settings.FANGKONG_IMPORT_MAX_BYTES = 10
    client = as_user(f.user("unit_liaison", city.dept_a))
    upload = io.BytesIO(b"x" * 20)
    upload.name = "big.csv"
    response = client.post("/returnees/imports/new/", {"side": "unit", "file": upload})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert not LedgerImport.objects.exists()


def test_the_progress_bar_polls_while_running_and_reloads_when_done(city, as_user):
    user = f.user("unit_liaison", city.dept_a)
    imp = LedgerImport.objects.create(side="unit", file_name="a.xlsx", sha256="0" * 64, uploaded_by=user,
                                      scope_unit=city.dept_a, status="running", progress=40)
    client = as_user(user)
    page = client.get(f"/returnees/imports/{imp.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and 'id="commit"' not in page
    partial = client.get(f"/returnees/imports/{imp.pk}/progress/")
    assert 'aria-valuenow="40"' in partial.content.decode()
    LedgerImport.objects.filter(pk=imp.pk).update(status="preview", progress=100, total_rows=3)
    assert client.get(f"/returnees/imports/{imp.pk}/progress/")["HX-Refresh"] == "true"
    assert 'id="commit"' in client.get(f"/returnees/imports/{imp.pk}/").content.decode()
    # Another unit's import is outside the scope.
    other = as_user(f.user("unit_liaison", city.dept_b))
    assert other.get(f"/returnees/imports/{imp.pk}/").status_code == 404


def test_the_template_downloads_are_xlsx(city, office):
    for side in ("unit", "community"):
        response = office.get(f"/returnees/imports/templates/{side}/")
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        assert zipfile.is_zipfile(io.BytesIO(response.content))
        rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
        assert any(str(c).startswith("姓名") for row in rows[:3] for c in row)
    assert office.get("/returnees/imports/templates/other/").status_code == 404


def test_an_import_is_previewed_then_committed_through_the_pages(city, as_user, tmp_path):
    import xlsxwriter

    user = f.user("unit_liaison", city.dept_a)
    client = as_user(user)
    number = f.id_number()

    def upload(id_number):
        path = tmp_path / "ledger.xlsx"
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["姓名", "身份证号", "工作单位", "居住社区", "返回日期"])
        sheet.write_row(1, 0, ["刘返乡", id_number, "市民政局", "红旗社区", "2020-02-01"])
        book.close()
        with path.open("rb") as fh:
            return client.post("/returnees/imports/new/", {"side": "unit", "file": fh})

    response = upload(number[:-1] + ("0" if number[-1] != "0" else "1"))
    imp = LedgerImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/returnees/imports/{imp.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert 'id="problems"' in html and 'id="commit"' not in html
    assert imp.sha256 not in html  # the file's hash is for the audit, not for the liaison
    assert client.post(f"/returnees/imports/{imp.pk}/commit/").status_code == 302
    assert not Returnee.objects.exists()  # a preview with problems cannot be committed

    response = upload(number)
    clean = LedgerImport.objects.exclude(pk=imp.pk).get()
    assert clean.status == "preview" and clean.error_count == 0 and not Returnee.objects.exists()
    client.post(f"/returnees/imports/{clean.pk}/commit/")
    clean.refresh_from_db()
    assert clean.status == "committed" and clean.created == 1
    assert Returnee.objects.get().id_number == number
    assert "刘返乡" in client.get("/returnees/").content.decode()


def test_the_export_link_follows_the_filters(city, office, ledger):
    partial = office.get("/returnees/", {"dual": "unit_only"}, HTTP_HX_REQUEST="true").content.decode()
    assert "/returnees/export/?dual=unit_only" in partial


@pytest.mark.parametrize("clear", [False, True])
def test_export_rows_hold_every_column_as_the_person_record_says(city, ledger, clear):
    """Each exported cell, on either database (PostgreSQL makes them in the query), matches the
    record: masks, labels, local times, blanks."""
    from fangkong.returnees.tables import export_rows

    fever = person(city, name="吴发热", phone="", community=None, category="fever", notes="=备注",
                   unit=city.industry)
    tz = timezone.get_current_timezone()

    def expected(r):
        def stamp(value):
            return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

        return [r.name, r.id_number if clear else r.masked_id_number, "男" if r.sex == "M" else "女",
                (r.phone if clear else r.masked_phone) if r.phone else "", r.unit.name if r.unit else "",
                r.community.name if r.community else "", r.address, r.get_category_display(), r.origin_text,
                r.transport, r.return_date.isoformat() if r.return_date else "", r.get_line_display(),
                stamp(r.unit_reported_at), stamp(r.community_reported_at), r.notes]

    qs = Returnee.objects.order_by("id")
    headers, rows = export_rows(qs, clear=clear)
    got = [list(row) for row in rows]
    assert len(headers) == 15 and got == [expected(r) for r in qs]
    assert got[-1][:1] == [fever.name] and got[-1][3] == "" and got[-1][5] == "" and got[-1][7] == "发热"


@pytest.mark.django_db(transaction=True)
def test_an_export_outside_a_transaction_reads_every_block_and_leaves_none_open(city, ledger, monkeypatch):
    """As the CLI and the benchmark run it (autocommit): PostgreSQL's export fetches block after
    block inside its own transaction, the next block while the writer converts this one."""
    from django.db import connection

    from fangkong.core.excel import write_xlsx
    from fangkong.returnees import tables

    monkeypatch.setattr(tables, "BLOCK", 2)
    assert connection.get_autocommit() and not connection.in_atomic_block
    qs = Returnee.objects.order_by("id")
    headers, rows = tables.export_rows(qs, clear=True)
    content, count = write_xlsx(headers, rows)
    grid = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert count == 3 and [row[:2] for row in grid[1:]] == [[r.name, r.id_number] for r in qs]
    assert not connection.in_atomic_block and connection.get_autocommit()


def test_an_export_keeps_its_columns_when_free_text_holds_the_row_separator(city, ledger):
    """Rows travel from the query as one text joined by U+0001; a stray U+0001 in free text (which
    no xlsx cell can hold anyway) is dropped rather than shifting the columns after it."""
    from fangkong.returnees.tables import export_rows

    Returnee.objects.filter(pk=ledger["both"].pk).update(name="刘\x01返乡", address="幸福路\x011号", notes="备\x01注")
    headers, rows = export_rows(Returnee.objects.order_by("id"), clear=True)
    got = {row[0]: list(row) for row in rows}
    row = got["刘返乡"]
    assert len(row) == len(headers) and row[headers.index("居住地址")] == "幸福路1号" and row[-1] == "备注"
    assert row[headers.index("身份证号")] == ledger["both"].id_number


def test_an_export_refuses_rather_than_shifts_when_a_validated_column_holds_the_separator(city, ledger):
    from fangkong.returnees.tables import export_rows

    Returnee.objects.filter(pk=ledger["both"].pk).update(category="x\x01y")  # no form or ledger lets this in
    with pytest.raises(ValueError, match="U\\+0001"):
        list(export_rows(Returnee.objects.order_by("id"), clear=True)[1])
