"""The xlsx writer: what it writes reads back as it was (python-calamine), formulas are
neutralised, and the package is a well-formed workbook."""

import datetime as dt
import io
import zipfile
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from fangkong.core.excel import BLOCK, write_xlsx


def read(content):
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_text_reads_back_unchanged_across_blocks():
    rows = [[f"张{i}", "110101********1234", "" if i % 3 else "备注", f" 空格{i} ", "a<b>&\"c'"]
            for i in range(BLOCK + 7)]
    content, count = write_xlsx(["姓名", "身份证号", "备注", "地址", "符号"], rows, sheet="输入人员台账")
    assert count == BLOCK + 7
    grid = read(content)
    assert grid[0] == ["姓名", "身份证号", "备注", "地址", "符号"]
    assert grid[1:] == rows


def test_formula_looking_text_is_neutralised():
    starts = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1", "＋1", "－1", "＠x", "a=b"]
    content, _ = write_xlsx(["v"], [[s] for s in starts])
    assert [row[0] for row in read(content)[1:]] == ["'" + s for s in starts[:-1]] + ["a=b"]


def test_numbers_booleans_dates_and_blanks_keep_their_place():
    rows = [[1, 2.5, True, None, dt.date(2020, 2, 10), "x"], [float("nan"), 0, False, "", "y", None]]
    content, _ = write_xlsx(["a", "b", "c", "d", "e", "f"], rows)
    assert read(content)[1:] == [[1, 2.5, True, "", "2020-02-10", "x"], ["nan", 0, False, "", "y", ""]]


def test_characters_xml_cannot_carry_are_dropped_and_nul_too():
    content, _ = write_xlsx(["v", "w"], [["a\x01b\x00c", "ok"]])
    assert read(content)[1] == ["abc", "ok"]


def test_no_rows_gives_the_header_alone_and_a_well_formed_package():
    content, count = write_xlsx(["姓名", "电话"], [], sheet="a/b:c*?[]" + "x" * 40)
    assert count == 0 and read(content) == [["姓名", "电话"]]
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert zf.testzip() is None
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(zf.read(name))  # each part parses as XML
        sheet = ElementTree.fromstring(zf.read("xl/workbook.xml")).find(".//{*}sheet")
        assert sheet is not None and len(sheet.get("name", "")) <= 31 and "/" not in sheet.get("name", "")


def test_column_blocks_write_the_same_workbook_as_rows_and_iterate_as_rows():
    """A source that hands over blocks column by column (the PostgreSQL ledger export) gives the
    same cells as the same rows handed over one by one, and reads as rows to anything else."""
    from fangkong.core.excel import ColumnBlocks

    rows = [[f"李{i}", "" if i % 4 else "=1+1", i, None] for i in range(BLOCK + 3)]
    columns = [list(column) for column in zip(*rows, strict=True)]
    parts = [[column[:BLOCK] for column in columns], [[] for _ in columns], [column[BLOCK:] for column in columns]]
    content, count = write_xlsx(["a", "b", "c", "d"], ColumnBlocks(parts))
    assert count == BLOCK + 3
    assert read(content) == read(write_xlsx(["a", "b", "c", "d"], rows)[0])
    assert read(content)[1][1] == "'=1+1" and read(content)[-1][:3] == [f"李{BLOCK + 2}", "", BLOCK + 2]
    assert [list(row) for row in ColumnBlocks(parts)] == rows


def test_a_writer_that_fails_midway_ends_its_column_source_at_once():
    """The source's cleanup (on PostgreSQL: the export's cursor and transaction) runs when the
    writer fails, not whenever the failed source is collected."""
    import pytest

    from fangkong.core.excel import ColumnBlocks

    ended = []

    def source():
        try:
            yield [["a", "b"], ["c", "d"]]
            yield [["a", "b"], ["c"]]  # columns of unequal length: the writer refuses the block
            yield [["never"], ["read"]]
        finally:
            ended.append(True)

    try:
        write_xlsx(["x", "y"], ColumnBlocks(source()))
    except ValueError:
        # Checked while the error (and with it the writer's frame) is still alive.
        assert ended == [True]
    else:
        pytest.fail("the writer took a block with columns of unequal length")
