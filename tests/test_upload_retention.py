"""Uploads that were not committed are deleted after the retention period and count against a
per-user quota (issue 12, finding 10: "every rejected upload keeps its file forever").

Real files on disk (MEDIA_ROOT in a temporary folder), the purge run as of a later moment (its
`now`), through the service, the command and a `send_reminders` pass.
"""

import datetime as dt
import os
from pathlib import Path

import pytest
import xlsxwriter
from django.core.management import call_command
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.core.retention import purge_uploads
from fangkong.deployment import imports as deployment_imports
from fangkong.deployment.models import Secondment, SecondmentImport
from fangkong.returnees import imports
from fangkong.returnees.ledger.sniff import human_size
from fangkong.returnees.models import LedgerImport, Returnee
from tests import factories as f

HEADERS = ["姓名", "身份证号", "返回日期"]
QUOTA_MESSAGE_START = "您上传但未提交的文件已占用"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def liaison(city, media):
    return f.user("unit_liaison", city.dept_a, username="ret_liaison")


def ledger(path: Path, rows: list[list[str]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate([HEADERS, *rows]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return path


def upload(actor, path: Path, *, commit: bool = False) -> LedgerImport:
    li = imports.import_create(actor=actor, side="unit", source=path, file_name=path.name)
    return imports.import_start(li, commit=commit)


def later(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def test_a_rejected_upload_is_deleted_after_the_retention_period_and_its_row_stays(liaison, tmp_path, as_user):
    li = upload(liaison, ledger(tmp_path / "bad.xlsx", [["张三", "123", "2020-02-10"]]))
    stored = Path(li.stored_path)
    assert li.status == "preview" and li.error_count == 1 and stored.is_file()

    assert purge_uploads(now=later(29))["ledger_imports"] == 0
    assert stored.is_file()
    moment = later(31)
    assert purge_uploads(now=moment)["ledger_imports"] == 1
    assert not stored.exists()
    li.refresh_from_db()
    assert li.purged_at == moment and li.status == "preview"
    # The problem stays (row, column, reason), not the value copied from the file.
    assert li.errors[0]["row"] == 2 and li.errors[0]["reason"] and li.errors[0]["value"] == ""
    assert purge_uploads(now=later(40))["ledger_imports"] == 0  # once

    page = as_user(liaison).get(li.get_absolute_url())
    text = page.content.decode()
    assert page.status_code == 200 and 'id="import-purged"' in text
    assert "未提交的上传文件只保留到保留期限为止" in text


def test_the_retention_period_is_a_setting(liaison, tmp_path, settings):
    settings.FANGKONG_REJECTED_UPLOAD_DAYS = 2
    li = upload(liaison, ledger(tmp_path / "bad.xlsx", [["张三", "123", "2020-02-10"]]))
    purge_uploads(now=later(1))
    assert Path(li.stored_path).is_file()
    purge_uploads(now=later(3))
    assert not Path(li.stored_path).exists()


def test_a_committed_import_keeps_its_file(liaison, tmp_path):
    """The committed file is the source of the records it wrote (named by its SHA-256 in the audit
    log): it stays, as before."""
    li = upload(liaison, ledger(tmp_path / "good.xlsx", [["张三", f.id_number(), "2020-02-10"]]), commit=True)
    assert li.status == "committed" and Returnee.objects.count() == 1
    purge_uploads(now=later(365))
    li.refresh_from_db()
    assert li.purged_at is None and Path(li.stored_path).is_file()


def test_an_unusable_upload_and_a_clean_preview_left_uncommitted_are_deleted_too(liaison, tmp_path, as_user):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    failed = upload(liaison, junk)
    clean = upload(liaison, ledger(tmp_path / "clean.xlsx", [["张三", f.id_number(), "2020-02-10"]]))
    assert (failed.status, clean.status, clean.error_count) == ("failed", "preview", 0)
    assert purge_uploads(now=later(31))["ledger_imports"] == 2
    assert not Path(failed.stored_path).exists() and not Path(clean.stored_path).exists()

    # The page no longer offers the commit; a commit asked for anyway fails with a reason, no 500.
    client = as_user(liaison)
    assert 'id="commit"' not in client.get(clean.get_absolute_url()).content.decode()
    response = client.post(f"/returnees/imports/{clean.pk}/commit/")
    assert response.status_code == 302
    clean.refresh_from_db()
    assert clean.status == "failed" and "保留期限" in clean.message and not Returnee.objects.exists()


def test_a_file_shared_with_a_committed_or_younger_import_stays(liaison, city, tmp_path):
    """Imports of the same bytes share one stored copy: it goes only when no import still needs it."""
    path = ledger(tmp_path / "same.xlsx", [["张三", f.id_number(), "2020-02-10"]])
    preview = upload(liaison, path)
    stored = Path(preview.stored_path)
    other = f.user("unit_liaison", city.dept_a, username="ret_other")
    LedgerImport.objects.filter(pk=preview.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=20))
    younger = upload(other, path)
    assert younger.stored_path == preview.stored_path

    purge_uploads(now=later(15))  # the first is 35 days old, the second 15
    preview.refresh_from_db()
    assert preview.purged_at is not None and stored.is_file()
    purge_uploads(now=later(31))
    assert not stored.exists()

    # Uploaded again (the stored copy is made again) and committed: a later purge keeps it.
    committed = upload(liaison, path, commit=True)
    assert committed.status == "committed" and stored.is_file()
    purge_uploads(now=later(400))
    assert stored.is_file()


def test_the_purge_command_and_every_send_reminders_pass_run_it(liaison, tmp_path):
    first = upload(liaison, ledger(tmp_path / "a.xlsx", [["张三", "123", "2020-02-10"]]))
    second = upload(liaison, ledger(tmp_path / "b.xlsx", [["李四", "456", "2020-02-10"]]))
    LedgerImport.objects.filter(pk=second.pk).update(uploaded_at=timezone.now() + dt.timedelta(days=10))
    at = timezone.localtime(later(31)).strftime("%Y-%m-%dT%H:%M")
    call_command("purge_uploads", at=at, verbosity=0)
    assert not Path(first.stored_path).exists() and Path(second.stored_path).is_file()
    at = timezone.localtime(later(42)).strftime("%Y-%m-%dT%H:%M")
    call_command("send_reminders", at=at, verbosity=0)
    assert not Path(second.stored_path).exists()


def test_uploads_not_committed_count_against_a_quota(liaison, city, tmp_path, settings):
    settings.FANGKONG_UPLOAD_QUOTA_MB = 1
    big = [["张三", f"{i:020d}", os.urandom(24).hex()] for i in range(13000)]  # about 650 KB, all rejected
    first_file = ledger(tmp_path / "first.xlsx", big)
    first = upload(liaison, first_file)
    assert first.status == "preview" and first.file_size > 530_000

    again = upload(liaison, ledger(tmp_path / "second.xlsx", big[::-1]))
    assert again.status == "rejected" and again.stored_path == "" and again.total_rows == 0
    assert again.message.startswith(QUOTA_MESSAGE_START)
    assert "上限1.0 MB" in again.message and "30天后自动删除" in again.message
    assert f"已占用{human_size(first.file_size)}（" in again.message
    assert len(list((Path(settings.MEDIA_ROOT) / "ledgers").glob("*.bin"))) == 1  # nothing stored

    # The same file again costs nothing more; another user has a quota of their own.
    assert upload(liaison, first_file).status == "preview"
    other = f.user("unit_liaison", city.dept_a, username="ret_other")
    assert upload(other, ledger(tmp_path / "third.xlsx", big[1:])).status == "preview"

    # Once the rejected file is deleted (or a file is committed) it no longer counts.
    purge_uploads(now=later(31))
    assert upload(liaison, ledger(tmp_path / "second.xlsx", big[::-1])).status == "preview"


def test_a_committed_upload_does_not_count_against_the_quota(liaison, tmp_path, settings):
    settings.FANGKONG_UPLOAD_QUOTA_MB = 1
    committed = upload(liaison, ledger(tmp_path / "ok.xlsx", [["张三", f.id_number(), "2020-02-10"]]), commit=True)
    assert committed.status == "committed"
    LedgerImport.objects.filter(pk=committed.pk).update(file_size=900 * 1024)  # as if it were big
    bad = upload(liaison, ledger(tmp_path / "bad.xlsx", [["张三", "123", "2020-02-10"]]))
    assert bad.status == "preview"


def test_the_refusal_reaches_the_page_and_the_api(liaison, tmp_path, settings, as_user, client):
    from fangkong.accounts.services import token_create

    settings.FANGKONG_UPLOAD_QUOTA_MB = 0
    path = ledger(tmp_path / "x.xlsx", [["张三", "123", "2020-02-10"]])
    web = as_user(liaison)
    with path.open("rb") as fh:
        response = web.post("/returnees/imports/new/", {"side": "unit", "file": fh})
    assert response.status_code == 302
    page = web.get(response["Location"]).content.decode()
    assert QUOTA_MESSAGE_START in page
    with path.open("rb") as fh:
        body = client.post("/api/v1/returnees/imports", {"side": "unit", "file": fh, "commit": "true"},
                           HTTP_AUTHORIZATION=f"Bearer {token_create(user=liaison, actor=SYSTEM)}").json()
    assert body["status"] == "rejected" and body["message"].startswith(QUOTA_MESSAGE_START)
    assert not LedgerImport.objects.exclude(stored_path="").exists() and not Returnee.objects.exists()


def test_a_secondment_list_keeps_its_rows_only_when_clean_and_only_for_the_retention_period(city, media, tmp_path,
                                                                                          as_user):
    liaison = f.user("unit_liaison", city.dept_a, username="ret_dep")
    book = xlsxwriter.Workbook(str(tmp_path / "s.xlsx"))
    sheet = book.add_worksheet()
    for c, h in enumerate(["姓名", "身份证号", "派出单位", "下沉日期"]):
        sheet.write_string(0, c, h)
    for c, v in enumerate([city.alice.name, city.alice.id_number, city.dept_a.name, "2020-02-10"]):
        sheet.write_string(1, c, v)
    for c, v in enumerate(["王五", "123", city.dept_a.name, "2020-02-10"]):
        sheet.write_string(2, c, v)
    book.close()
    rejected = deployment_imports.import_preview(actor=liaison, source=tmp_path / "s.xlsx", file_name="s.xlsx")
    assert rejected.error_count == 1 and rejected.rows == []  # nothing of a list with problems is kept

    book = xlsxwriter.Workbook(str(tmp_path / "c.xlsx"))
    sheet = book.add_worksheet()
    for c, h in enumerate(["姓名", "身份证号", "派出单位", "下沉日期"]):
        sheet.write_string(0, c, h)
    for c, v in enumerate([city.alice.name, city.alice.id_number, city.dept_a.name, "2020-02-10"]):
        sheet.write_string(1, c, v)
    book.close()
    clean = deployment_imports.import_preview(actor=liaison, source=tmp_path / "c.xlsx", file_name="c.xlsx")
    assert clean.error_count == 0 and len(clean.rows) == 1

    assert purge_uploads(now=later(31))["secondment_imports"] == 2
    clean.refresh_from_db()
    assert clean.rows == [] and clean.purged_at is not None and clean.total_rows == 1
    client = as_user(liaison)
    page = client.get(clean.get_absolute_url()).content.decode()
    assert 'id="import-purged"' in page and 'id="commit"' not in page
    response = client.post(clean.get_absolute_url())
    assert response.status_code == 403 and not Secondment.objects.exists()
    assert SecondmentImport.objects.count() == 2
