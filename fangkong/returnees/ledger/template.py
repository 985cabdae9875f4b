"""The downloadable ledger template: Chinese headers, input hints, text-formatted ID and phone columns,
drop-down lists for category and line, and a sheet of instructions."""

import datetime as dt
import io
from typing import Any

import xlsxwriter

from .columns import FIELDS, REQUIRED, SIDES
from .values import CATEGORY_CHOICES, LINE_CHOICES, MAX_LENGTHS

LAST_ROW = 1_048_575  # zero-based: the validations cover the whole column below the header
SHEET_TITLES = {"unit": "输入人员台账（单位填报）", "community": "输入人员台账（社区登记）"}
WIDTHS = {
    "id_number": 22,
    "phone": 15,
    "employer": 20,
    "community": 16,
    "address": 30,
    "origin": 22,
    "notes": 30,
}


def _instructions(side: str) -> list[str]:
    required = "、".join(f.header for f in FIELDS if f.key in REQUIRED[side])
    return [
        "填写说明",
        "1. 第一个工作表的第1行是表头，请不要修改或删除表头；列的顺序可以调整，不需要的非必填列可以删除。",
        f"2. 带*的列必须填写：{required}。",
        "3. 从第2行开始，每行填写一个人；同一个人（身份证号相同）在一个文件中只填一次。",
        "4. 身份证号和联系电话两列已设为文本格式。从其他表格粘贴时请选择“只粘贴数值”，"
        "不要让Excel把身份证号变成1.10101E+17这样的数字。15位老身份证号会自动转换为18位。",
        "5. 返回日期请填写如2020-02-10的日期，也可以写成2020/2/10、2020.2.10或2020年2月10日。",
        "6. 人员类别从下拉列表选择：" + "、".join(CATEGORY_CHOICES) + "；不填视为外地返回。",
        "7. 调度线从下拉列表选择：" + "、".join(LINE_CHOICES) + "；不填时按工作单位确定。",
        "8. 文字长度上限：姓名{name}字，工作单位和居住社区各{employer}字，居住地址{address}字，"
        "来源地{origin}字，交通方式{transport}字，备注{notes}字。".format(**MAX_LENGTHS),
        "9. 可以保存为xlsx、xls、ods或csv（UTF-8或GB18030编码）格式上传；文件不超过50 MB，不要设置打开密码。",
        "10. 上传后会先预览，列出每一处问题（行号、列名、填写的值和原因），确认无误后再提交。",
    ]


def _validation(key: str, title: str, hint: str) -> dict[str, Any]:
    options: dict[str, Any] = {"input_title": title[:32], "input_message": hint[:255]}
    if key == "category":
        options.update(validate="list", source=list(CATEGORY_CHOICES))
    elif key == "line":
        options.update(validate="list", source=list(LINE_CHOICES))
    elif key == "id_number":
        options.update(validate="length", criteria="between", minimum=15, maximum=18)
    elif key == "return_date":
        options.update(
            validate="date", criteria="between", minimum=dt.date(2019, 12, 1), maximum=dt.date(2100, 12, 31)
        )
    else:
        return {**options, "validate": "any"}
    # A warning, not a stop: the reader accepts synonyms and reports what it cannot accept.
    return {**options, "error_type": "warning", "error_title": "请核对", "error_message": hint[:255]}


def build_template(side: str) -> bytes:
    """An xlsx ledger template for the unit side or the community side."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(SHEET_TITLES[side])
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    required_header = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center", "font_color": "#C00000"}
    )
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, field in enumerate(FIELDS):
        required = field.key in REQUIRED[side]
        title = field.header + ("*" if required else "")
        sheet.write_string(0, col, title, required_header if required else header)
        cell_format = (
            text if field.key in ("id_number", "phone") else date if field.key == "return_date" else None
        )
        sheet.set_column(col, col, WIDTHS.get(field.key, 12), cell_format)
        hint = ("必填。" if required else "选填。") + field.hint
        sheet.data_validation(1, col, LAST_ROW, col, _validation(field.key, title, hint))
    sheet.freeze_panes(1, 0)
    sheet.activate()

    notes = book.add_worksheet("填写说明")
    notes.set_column(0, 0, 110)
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    lines = _instructions(side)
    notes.write_string(0, 0, lines[0], book.add_format({"bold": True, "font_size": 14}))
    for row, line in enumerate(lines[1:], start=1):
        notes.write_string(row, 0, line, wrap)
    book.close()
    return buffer.getvalue()
