"""Hostile ledgers cost a bounded amount of memory and time (issue 12, finding 4).

The files are xlsx written by hand (tests/returnees/hostile.py) whose <dimension> lies about the
sheet: tens of thousands of invalid rows, a valid row repeated under a dimension of 1,048,576 rows,
cells of 32,000 characters. Past the problem limit (FANGKONG_IMPORT_MAX_PROBLEMS, 1,000) every
upload that reads files with the ledger's machinery stops reading, keeps the first problems in
file order, counts the rest it met and says so; a batch handed over by the parsing child holds a
bounded number of characters. bench/hostile_ledger.py measures the same at the finding's size.
"""

import tracemalloc
from pathlib import Path

import pytest

from fangkong.returnees import imports
from fangkong.returnees.ledger import Limits, worker
from fangkong.returnees.ledger.sniff import sniff
from fangkong.returnees.models import Returnee
from tests import factories as f

from .hostile import row_values, write_hostile_xlsx
from .test_ledger_files import _children

LIMIT_MESSAGE = "问题超过1000处，已停止检查；请先修正以上问题再上传。"
BATCH = worker.BATCH_ROWS


@pytest.fixture
def liaison(city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return f.user("unit_liaison", city.dept_a, username="hostile_liaison")


@pytest.fixture(scope="module")
def invalid_file(tmp_path_factory):
    """60,000 rows with two problems each (three batches of the child), dimension A1:C3."""
    return write_hostile_xlsx(tmp_path_factory.mktemp("hostile") / "invalid.xlsx", 3 * BATCH, dimension="A1:C3")


def dry_run(actor, path, *, commit=False):
    li = imports.import_create(actor=actor, side="unit", source=path, file_name=path.name)
    return imports.import_run(li, commit=commit)


def traced_peak_mb(func):
    """The peak of Python allocations while func runs, in MB, and its result."""
    tracemalloc.start()
    try:
        result = func()
        return tracemalloc.get_traced_memory()[1] / 2**20, result
    finally:
        tracemalloc.stop()


def test_a_ledger_of_invalid_rows_stops_at_the_problem_limit_and_says_so(liaison, invalid_file):
    """The preview keeps the first 1,000 problems in row and column order, counts the rest of the
    batch where it stopped, stops the parsing child there, and tells the uploader why."""
    peak, li = traced_peak_mb(lambda: dry_run(liaison, invalid_file))
    assert li.status == "preview" and li.message == LIMIT_MESSAGE
    assert len(li.errors) == 1000 and li.error_count > 1000
    # Two problems a row, the ID number's column first: rows 2 to 501, in order.
    assert [(e["row"], e["column"]) for e in li.errors[:3]] == [(2, "身份证号"), (2, "返回日期"), (3, "身份证号")]
    assert li.errors[-1]["row"] == 501
    # Reading stopped in the first batch of the three; the child is gone.
    assert li.total_rows <= BATCH and li.error_count <= 2 * BATCH
    assert _children() == []
    # Before, all 120,000 problems were made, kept and sorted (about 150 MB for these 60,000 rows).
    assert peak < 60, f"{peak:.0f} MB"


def test_a_commit_of_such_a_ledger_stops_the_same_way_and_writes_nothing(liaison, invalid_file):
    li = dry_run(liaison, invalid_file, commit=True)
    assert li.status == "rejected" and li.message == LIMIT_MESSAGE
    assert len(li.errors) == 1000 and li.total_rows <= BATCH
    assert not Returnee.objects.exists() and _children() == []


def test_the_limit_is_a_setting_and_the_message_names_it(liaison, settings, tmp_path):
    settings.FANGKONG_IMPORT_MAX_PROBLEMS = 10
    path = write_hostile_xlsx(tmp_path / "few.xlsx", 50)
    li = dry_run(liaison, path)
    assert [e["row"] for e in li.errors] == [2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert li.error_count == 100 and li.message == "问题超过10处，已停止检查；请先修正以上问题再上传。"
    # Exactly at the limit nothing is said: the list is complete.
    settings.FANGKONG_IMPORT_MAX_PROBLEMS = 100
    li = dry_run(liaison, path)
    assert li.error_count == 100 and len(li.errors) == 100 and li.message == ""


def test_a_valid_row_repeated_under_a_dimension_of_a_million_rows_stops_at_the_limit(liaison, tmp_path):
    """Every copy after the first is a duplicate: the limit stops the reading in the first batch."""
    path = write_hostile_xlsx(tmp_path / "dup.xlsx", 2 * BATCH, kind="duplicate", dimension="A1:C1048576")
    li = dry_run(liaison, path)
    assert li.message == LIMIT_MESSAGE and len(li.errors) == 1000 and li.total_rows <= BATCH
    assert {e["reason"] for e in li.errors} == {"与第2行的身份证号重复（同一人在文件中出现两次）"}
    assert li.errors[0]["row"] == 3 and _children() == []


def test_a_batch_from_the_child_holds_a_bounded_number_of_characters(tmp_path, monkeypatch):
    """Cells of 32,000 characters: the child cuts its batches by characters as well as rows, so the
    parent never holds more than the bound (and one row) of a batch at a time."""
    monkeypatch.setattr(worker, "BATCH_CHARS", 1_000_000)
    path = write_hostile_xlsx(tmp_path / "big.xlsx", 200, kind="oversized")
    limits = Limits()
    sizes, rows = [], 0
    with worker.read_batches(path, sniff(path, limits), limits, header_rows=10) as batches:
        for batch in batches:
            sizes.append(sum(len(v) for column in batch for v in column if isinstance(v, str)))
            rows += len(batch[0])
    assert rows == 201 and len(sizes) >= 6
    assert max(sizes) <= 1_000_000 + 3 * 32_000, sizes


def test_oversized_cells_are_problems_with_a_short_value_and_memory_stays_bounded(liaison, tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "BATCH_CHARS", 1_000_000)
    path = write_hostile_xlsx(tmp_path / "big.xlsx", 400, kind="oversized")
    peak, li = traced_peak_mb(lambda: dry_run(liaison, path))
    assert li.total_rows == 400 and li.error_count == 400
    assert {e["column"] for e in li.errors} == {"姓名"} and max(len(e["value"]) for e in li.errors) == 100
    assert li.errors[0]["reason"] == "最多60个字符（现有32000个）"
    # 400 names of 32,000 characters are 12.8 million characters (25.6 MB as Python text): in one
    # batch, with its copies, they took 140 MB; in batches of a million characters, about 45 MB.
    assert peak < 70, f"{peak:.0f} MB"


def test_secondment_lists_get_the_same_bound(city, tmp_path):
    from fangkong.deployment import imports as deployment_imports

    liaison = f.user("unit_liaison", city.dept_a, username="hostile_dep")
    path = write_hostile_xlsx(
        tmp_path / "secondments.xlsx", 3 * BATCH, dimension="A1:D2", headers=("姓名", "身份证号", "派出单位", "下沉日期"),
        row=lambda r: ("张三", f"{r:010d}", "", "2020-13-45"),
    )
    record = deployment_imports.import_preview(actor=liaison, source=path, file_name=path.name)
    assert record.message == LIMIT_MESSAGE and len(record.errors) == 1000 and record.error_count > 1000
    assert [e["row"] for e in record.errors[:3]] == [2, 2, 2] and record.errors[-1]["row"] == 335
    assert record.rows == [] and record.total_rows <= BATCH and _children() == []


def test_a_secondment_list_over_the_row_limit_is_refused_as_it_is_read(city, tmp_path, monkeypatch):
    from fangkong.deployment import imports as deployment_imports

    monkeypatch.setattr(deployment_imports, "MAX_ROWS", 50)
    liaison = f.user("unit_liaison", city.dept_a, username="hostile_dep")
    path = write_hostile_xlsx(
        tmp_path / "long.xlsx", 51, headers=("姓名", "身份证号", "派出单位", "下沉日期"),
        row=lambda r: ("张三", row_values("oversized", r, cell_chars=10)[1], city.dept_a.name, "2020-02-10"),
    )
    record = deployment_imports.import_preview(actor=liaison, source=path, file_name=path.name)
    assert record.status == "failed" and record.message == "文件超过50行，请拆分成几个文件后分批上传。"


def test_pass_lists_get_the_same_bound(city, tmp_path):
    """A pass list is read whole (at most 20,000 rows, cells cut to 1,000 characters) and checked
    until the problems pass the limit."""
    from fangkong.passes.imports import import_passes

    office = f.user("committee_office", city.root, username="hostile_office")
    path = write_hostile_xlsx(
        tmp_path / "passes.xlsx", BATCH - 1000, dimension="A1:D2", headers=("类型", "单位编码", "起始日期", "截止日期"),
        row=lambda r: ("飞机", f"NOPE{r}", "2020-02-10", "2020-02-20"),
    )
    result = import_passes(actor=office, path=path)
    assert not result.passes and len(result.errors) == 1001
    assert str(result.errors[-1]) == LIMIT_MESSAGE
    assert (result.errors[0].row, result.errors[-2].row) == (2, 501) and _children() == []


def test_an_ordinary_ledger_is_not_cut(liaison, tmp_path):
    """The bounds leave a ledger with problems below the limit whole: every problem listed, every
    row read, and the batches as they were (no cut by characters)."""
    path = write_hostile_xlsx(tmp_path / "ok.xlsx", BATCH + 500, dimension="A1:C2",
                              row=lambda r: ("张三", row_values("oversized", r, cell_chars=10)[1], "2020-02-10"))
    li = dry_run(liaison, path)
    assert (li.status, li.total_rows, li.error_count, li.message) == ("preview", BATCH + 500, 0, "")


def test_the_hostile_file_really_lies_about_its_dimension(invalid_file):
    import zipfile

    with zipfile.ZipFile(Path(invalid_file)) as zf, zf.open("xl/worksheets/sheet1.xml") as fh:
        head = fh.read(400)
    assert b'<dimension ref="A1:C3"/>' in head


def test_a_bad_value_in_every_batch_does_not_keep_the_batches_alive(liaison, tmp_path):
    """Django's ValidationError refers to itself, and the import pauses the cyclic collector: a bad
    ID number caught while normalising kept, through its traceback, the frames and so the whole
    batch alive, one batch more for every batch with a bad value. Now memory stays that of one."""
    def ledger(name, bad_every):
        def row(r):
            number = row_values("oversized", r, cell_chars=10)[1]
            if r % bad_every == 0:
                number = number[:17] + ("0" if number[17] != "0" else "1")  # a wrong check digit
            return ("张三", number, "2020-02-10")

        return write_hostile_xlsx(tmp_path / name, 4 * BATCH, row=row)

    clean_peak, clean = traced_peak_mb(lambda: dry_run(liaison, ledger("clean.xlsx", 10**9)))
    bad_peak, bad = traced_peak_mb(lambda: dry_run(liaison, ledger("bad.xlsx", BATCH)))
    assert (clean.error_count, bad.error_count, bad.total_rows) == (0, 4, 4 * BATCH)
    assert bad_peak < clean_peak * 1.3, (bad_peak, clean_peak)
