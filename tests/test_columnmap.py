"""The shared mapping piece: headers compared by meaning, suggestions never applied, the header set's
fingerprint, first values masked."""

import pytest

from fangkong.core.columnmap import (
    MAPPED,
    MATCHED,
    UNKNOWN,
    Target,
    Vocabulary,
    fingerprint,
    mask_sample,
    normalize_header,
    plan_header,
)

VOCABULARY = Vocabulary(
    [Target("name", "姓名", (), required=True), Target("phone", "联系电话", ("联系方式", "手机号码")),
     Target("return_date", "返回日期", ("返回时间",), (r"返.{1,2}(时间|日期)",), required=True)],
    ignored=("序号",),
)


@pytest.mark.parametrize(("raw", "normal"), [
    ("*身份证号码（18位）：", "身份证号码"), ("手机号码(必填)", "手机号码"), (" 姓 名 ", "姓名"),
    ("交通方式及车次/航班", "交通方式及车次航班"), ("返程日期【格式：2020-02-01】", "返程日期"), ("ＮＯ．", "no"),
    ("（备注）", "备注"),
])
def test_headers_are_compared_without_brackets_marks_and_punctuation(raw, normal):
    assert normalize_header(raw) == normal


def test_a_plan_places_known_columns_lists_the_rest_and_never_applies_a_suggestion():
    grid = [["某单位台账"], ["序号", "姓名", "联系方式", "返白时间", "返回白山日期时间", "是否党员", ""],
            ["1", "张三", "0439-3211234", "2020-02-01", "2020-02-01", "是", ""]]
    plan = plan_header(grid, VOCABULARY)
    assert plan is not None and plan.row == 1 and plan.data_start == 2
    how = {c.header: (c.key, c.how) for c in plan.columns}
    assert how["姓名"] == ("name", MATCHED) and how["联系方式"] == ("phone", MATCHED)
    assert how["返白时间"] == ("return_date", MATCHED)  # a pattern: 返X时间
    assert how["是否党员"] == (None, UNKNOWN) and plan.needs_mapping
    assert how["序号"][0] is None and how["序号"][1] != UNKNOWN  # known to carry nothing
    assert next(c for c in plan.columns if c.header == "联系方式").samples == ["043****1234"]
    mapped = plan_header(grid, VOCABULARY, mapping={"是否党员": "", "返回白山日期时间": ""})
    assert mapped is not None and not mapped.needs_mapping
    assert {c.header: c.how for c in mapped.columns}["是否党员"] == MAPPED


def test_a_close_header_is_a_suggestion_and_a_remembered_mapping_places_it():
    grid = [["姓名", "返回白山时间"], ["张三", "2020-02-01"]]
    plan = plan_header(grid, VOCABULARY)
    assert plan is not None and plan.missing == ["return_date"]
    column = plan.columns[1]
    assert column.how == UNKNOWN and column.key is None and column.suggestion == "return_date"
    remembered = {plan.fingerprint: {"返回白山时间": "return_date"}}
    again = plan_header(grid, VOCABULARY, remembered=remembered.get)
    assert again is not None and not again.needs_mapping and again.remembered and again.indexes["return_date"] == 1


def test_the_fingerprint_is_the_header_set_in_any_order_without_columns_that_carry_nothing():
    assert fingerprint(["姓名", "返回时间"], VOCABULARY) == fingerprint(["返回时间", "序号", "姓名"], VOCABULARY)
    assert fingerprint(["姓名", "返回时间"], VOCABULARY) != fingerprint(["姓名", "返回日期"], VOCABULARY)


def test_first_values_are_masked_as_the_ledger_masks_numbers_but_dates_stay():
    assert mask_sample("220602198503143365") == "220602********3365"
    assert mask_sample("139 1234 5678") == "139****5678"
    assert mask_sample("2020-02-03") == "2020-02-03"
