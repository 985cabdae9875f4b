"""Ledger imports end to end: preview writes nothing, commit is all-or-nothing and idempotent,
a later ledger updates the same people, the uploader's scope applies, the CLI's exit codes."""

import subprocess
import sys

import pytest
import xlsxwriter
from django.core.management import call_command

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import id_digest
from fangkong.returnees import imports
from fangkong.returnees.models import LedgerImport, Registration, Returnee
from tests import factories as f

HEADERS = ["姓名", "身份证号", "联系电话", "工作单位", "居住社区", "人员类别", "返回日期"]


def write(path, rows, headers=HEADERS):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value))
    book.close()
    return path


@pytest.fixture
def liaison(city):
    return f.user("unit_liaison", city.dept_a, username="imp_liaison")


def rows_for(city, n=3, **override):
    result = []
    for i in range(n):
        row = ["导入" + "甲乙丙丁戊己庚辛"[i], f.id_number(), f"1390000{i:04d}", city.dept_a.name, city.comm_1.name, "外地返回",
               "2020-02-0" + str(i + 1)]
        result.append(row)
    return result


def long_ledger(city, count):
    """CSV lines: the header and ``count`` valid rows with distinct ID numbers."""
    import datetime as dt

    from fangkong.core.idcard import check_digit

    lines = [",".join(HEADERS)]
    for i in range(count):
        first17 = f"220602{dt.date(1960, 1, 1) + dt.timedelta(days=i // 1000):%Y%m%d}{i % 1000:03d}"
        lines.append(f"导入{chr(0x4E00 + i % 3000)},{first17 + check_digit(first17)},139{i:08d},{city.dept_a.name},"
                     f"{city.comm_1.name},外地返回,2020-02-01")
    return lines


def run(liaison, path, *, side="unit", commit=True):
    li = imports.import_create(actor=liaison, side=side, source=path, file_name=path.name)
    return imports.import_run(li, commit=commit)


def test_it_previews_without_writing(city, liaison, tmp_path):
    li = run(liaison, write(tmp_path / "a.xlsx", rows_for(city)), commit=False)
    assert li.status == "preview" and li.total_rows == 3 and li.error_count == 0
    assert not Returnee.objects.exists()


def test_it_rejects_the_whole_ledger_for_one_bad_row_naming_row_and_column(city, liaison, tmp_path):
    rows = rows_for(city)
    rows[1][1] = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")
    li = run(liaison, write(tmp_path / "b.xlsx", rows))
    assert li.status == "rejected" and li.error_count == 1
    error = li.errors[0]
    assert error["row"] == 3 and error["column"] == "身份证号" and "校验" in error["reason"]
    assert not Returnee.objects.exists() and not Registration.objects.exists()


def test_a_bad_row_after_the_first_batch_rolls_back_the_batches_already_written(city, liaison, tmp_path):
    """Batches are written as they are validated; a problem in a later one undoes them all."""
    from fangkong.returnees.ledger import worker

    count = worker.BATCH_ROWS + 3
    lines = long_ledger(city, count)
    lines[-1] = lines[-1].replace("2020-02-01", "2020-02-30")
    path = tmp_path / "long.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    li = run(liaison, path)
    assert (li.status, li.total_rows, li.error_count) == ("rejected", count, 1)
    assert li.errors[0]["row"] == count + 1 and li.errors[0]["column"] == "返回日期"
    assert not Returnee.objects.exists() and not Registration.objects.exists()
    assert not AuditEntry.objects.filter(object_type="returnees.returnee").exists()


def test_a_file_that_turns_unreadable_after_the_first_batch_leaves_nothing_written(city, liaison, tmp_path):
    """The child hands the first batch over (and it is written) before it meets the problem; the
    commit fails with the file's clear error and the batch written is rolled back."""
    from fangkong.returnees.ledger import worker

    lines = long_ledger(city, worker.BATCH_ROWS + 30)
    lines[-5] = lines[-5].replace("外地返回", "长" * 200_000)  # over the csv module's field limit
    path = tmp_path / "late.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    li = run(liaison, path)
    assert li.status == "failed" and li.message.startswith("CSV文件格式错误")
    assert not Returnee.objects.exists() and not Registration.objects.exists()


def test_it_is_idempotent_and_a_later_ledger_updates_the_same_people(city, liaison, tmp_path):
    rows = rows_for(city)
    path = write(tmp_path / "c.xlsx", rows)
    first = run(liaison, path)
    assert (first.status, first.created, first.updated, first.unchanged) == ("committed", 3, 0, 0)
    assert len(first.sha256) == 64
    again = run(liaison, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Returnee.objects.count() == 3 and Registration.objects.count() == 3
    rows[0][2] = "13911112222"
    later = run(liaison, write(tmp_path / "d.xlsx", rows))
    assert (later.created, later.updated, later.unchanged) == (0, 1, 2)
    assert Returnee.objects.get(name="导入甲").phone == "13911112222"
    assert AuditEntry.objects.filter(object_type="returnees.returnee", action="update").count() == 1
    assert AuditEntry.objects.filter(object_type="returnees.ledgerimport").count() == 3


def test_it_treats_rows_outside_the_scope_as_errors(city, liaison, tmp_path):
    rows = rows_for(city, 2)
    rows[1][3] = city.dept_b.name
    li = run(liaison, write(tmp_path / "e.xlsx", rows))
    assert li.status == "rejected" and li.errors[0]["row"] == 3 and "范围" in li.errors[0]["reason"]
    assert not Returnee.objects.exists()


def test_it_suggests_the_closest_unit_names(city, liaison, tmp_path):
    rows = rows_for(city, 1)
    rows[0][3] = "市民政"
    li = run(liaison, write(tmp_path / "f.xlsx", rows))
    assert "市民政局" in li.errors[0]["reason"]


def test_the_community_side_completes_the_dual_report(city, liaison, tmp_path):
    rows = rows_for(city, 2)
    run(liaison, write(tmp_path / "u.xlsx", rows))
    staff = f.user("community_staff", city.comm_1)
    li = run(staff, write(tmp_path / "c.xlsx", rows), side="community")
    assert li.status == "committed" and li.unchanged + li.updated == 2
    assert all(r.dual_state == "both" for r in Returnee.objects.all())


def test_it_runs_large_files_in_the_background(city, liaison, tmp_path, settings):
    settings.FANGKONG_IMPORT_BACKGROUND_BYTES = 1
    li = imports.import_create(actor=liaison, side="unit", source=write(tmp_path / "g.xlsx", rows_for(city)),
                               file_name="g.xlsx")
    li = imports.import_start(li, commit=True)
    assert li.status == "queued" and not Returnee.objects.exists()
    # Run what the worker would claim (db_worker itself drops the connection, and with it the
    # test's transaction, on PostgreSQL).
    from django_tasks_db.models import DBTaskResult

    queued = list(DBTaskResult.objects.ready())
    assert len(queued) == 1
    for result in queued:
        value = result.task.call(*result.task_result.args, **result.task_result.kwargs)
        result.set_successful(value)
    li.refresh_from_db()
    assert li.status == "committed" and li.progress == 100 and Returnee.objects.count() == 3


def test_the_cli_exit_codes(city, liaison, tmp_path, capsys):
    good = write(tmp_path / "ok.xlsx", rows_for(city))
    bad_rows = rows_for(city)
    bad_rows[0][1] = "123"
    bad = write(tmp_path / "bad.xlsx", bad_rows)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"\x00\x01\x02 not a spreadsheet" * 10)

    def code(*args):
        with pytest.raises(SystemExit) as exc:
            call_command("import_ledger", *args)
        return exc.value.code

    call_command("import_ledger", str(good), "--side", "unit", "--user", "imp_liaison", "--dry-run")
    assert not Returnee.objects.exists()
    assert code(str(bad), "--side", "unit", "--user", "imp_liaison") == 1
    assert "第2行" in capsys.readouterr().err
    assert code(str(junk), "--side", "unit", "--user", "imp_liaison") == 2
    call_command("import_ledger", str(good), "--side", "unit", "--user", "imp_liaison")
    assert Returnee.objects.count() == 3
    out = tmp_path / "out.xlsx"
    call_command("export_ledger", str(out), "--user", "imp_liaison", "--dual", "unit_only")
    from python_calamine import CalamineWorkbook

    exported = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert len(exported) == 4 and exported[0][0] == "姓名"


def test_the_cli_runs_as_a_real_process(tmp_path):
    result = subprocess.run([sys.executable, "-m", "fangkong", "import_ledger", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and "--dry-run" in result.stdout


def test_uploads_record_who_and_the_file_hash(city, liaison, tmp_path):
    li = run(liaison, write(tmp_path / "h.xlsx", rows_for(city, 1)))
    stored = LedgerImport.objects.get(pk=li.pk)
    assert stored.uploaded_by == liaison and stored.file_name == "h.xlsx" and stored.committed_at is not None
    from pathlib import Path

    from fangkong.returnees.imports import sha256_of

    assert sha256_of(Path(stored.stored_path)) == stored.sha256 == sha256_of(tmp_path / "h.xlsx")


def test_a_committed_ledger_is_audited_once_and_each_person_points_to_it(city, liaison, tmp_path):
    """One audit entry per ledger (who, SHA-256, counts), none per person it creates: each
    person's registration names the import and who uploaded it."""
    li = run(liaison, write(tmp_path / "once.xlsx", rows_for(city)))
    entry = AuditEntry.objects.get(object_type="returnees.ledgerimport")
    assert entry.actor == liaison and entry.object_id == str(li.pk)
    assert f"sha256={li.sha256}" in entry.detail and "created=3" in entry.detail
    assert not AuditEntry.objects.filter(object_type="returnees.returnee").exists()
    assert set(Registration.objects.values_list("source_import_id", "registered_by_id", "side")) == {
        (li.pk, liaison.pk, "unit")}
    assert Returnee.objects.filter(isolation__isnull=False).count() == 3


def test_units_named_by_imported_people_stay_protected(city, liaison, tmp_path):
    """Deleting a unit an imported person names fails (PROTECT, and the constraint behind it)."""
    from django.db.models import ProtectedError

    from fangkong.orgs.choices import UnitKind
    from fangkong.orgs.services import unit_delete

    community = f.unit(UnitKind.COMMUNITY, city.street, "新村社区")
    rows = rows_for(city, 1)
    rows[0][4] = community.name
    run(liaison, write(tmp_path / "p.xlsx", rows))
    with pytest.raises(ProtectedError):
        unit_delete(actor=SYSTEM, unit=community)
    assert Returnee.objects.get().community_id == community.pk


def test_an_import_mixing_new_and_known_people_adds_only_what_is_missing(city, liaison, tmp_path):
    """Known people get this side's registration and an isolation only when they lack them."""
    rows = rows_for(city, 2)
    staff = f.user("community_staff", city.comm_1)
    run(staff, write(tmp_path / "c.xlsx", rows[:1]), side="community")
    li = run(liaison, write(tmp_path / "u.xlsx", rows))
    assert (li.created, li.unchanged + li.updated) == (1, 1)
    assert Registration.objects.filter(side="unit").count() == 2
    assert Registration.objects.filter(side="community").count() == 1
    assert Returnee.objects.filter(isolation__isnull=False).count() == 2
    assert all(r.unit_reported_at is not None for r in Returnee.objects.all())
    again = run(liaison, write(tmp_path / "u2.xlsx", rows))
    assert again.unchanged == 2 and Registration.objects.count() == 3


def test_a_known_person_among_new_ones_is_found_even_when_the_chunk_is_written_as_new_first(
        city, liaison, tmp_path):
    """On PostgreSQL a chunk whose sample of ID numbers finds nobody known is written as all new;
    the one known person (row 3, between the sampled rows 2 and 4) backs it out to a savepoint and
    the chunk goes through the lookup instead, nothing written twice."""
    lines = long_ledger(city, 32)
    known_number = lines[2].split(",")[1]
    staff = f.user("community_staff", city.comm_1)
    path = tmp_path / "one.csv"
    path.write_text("\r\n".join(lines[:1] + lines[2:3]) + "\r\n", encoding="utf-8")
    assert run(staff, path, side="community").created == 1
    path = tmp_path / "all.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    li = run(liaison, path)
    assert (li.status, li.created, li.unchanged + li.updated) == ("committed", 31, 1)
    assert Returnee.objects.count() == 32 and Registration.objects.filter(side="unit").count() == 32
    known = Returnee.objects.get(id_digest=id_digest(known_number))
    assert set(known.registrations.values_list("side", flat=True)) == {"unit", "community"}
    assert known.unit_reported_at is not None and known.community_reported_at is not None


def test_batches_are_validated_one_ahead_in_order_and_a_late_failure_reaches_the_caller():
    """The next batch is read and validated in a thread while the caller writes this one; the
    caller gets every batch in file order, and an exception from a later batch reaches it."""
    import threading

    from fangkong.returnees.ledger import LedgerBatch

    class Broken(Exception):
        pass

    def batches():
        yield LedgerBatch([{"row": 2}], [])
        yield LedgerBatch([{"row": 3}], [])
        raise Broken

    class Validator:
        threads: set[str] = set()

        def validate(self, rows, columns):
            self.threads.add(threading.current_thread().name)
            return rows, []

    seen = []
    with pytest.raises(Broken):
        for batch, (clean, problems, count) in imports._checked_ahead(batches(), Validator(), {}, 1001):
            assert clean == batch.rows and problems == [] and count == 0
            seen.append(clean[0]["row"])
    assert seen == [2, 3]
    assert Validator.threads and threading.current_thread().name not in Validator.threads


@pytest.mark.parametrize("own_process", [False, True])
def test_only_a_process_of_its_own_pauses_the_garbage_collector(city, liaison, tmp_path, own_process):
    """The pause is process-wide: in a web process it would pause every other request's thread
    too, so only the background worker and the command line (own_process) take it."""
    import gc
    import threading

    path = tmp_path / "many.csv"
    path.write_text("\n".join(long_ledger(city, 3000)), encoding="utf-8")
    seen: set[bool] = set()
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen.add(gc.isenabled())
            done.wait(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        li = imports.import_create(actor=liaison, side="unit", source=path, file_name=path.name)
        li = imports.import_run(li, commit=True, own_process=own_process)
    finally:
        done.set()
        watcher.join()
    assert li.status == "committed", li.errors
    assert gc.isenabled()
    assert (False in seen) is own_process
