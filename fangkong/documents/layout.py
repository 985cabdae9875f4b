"""The official layout of party and government documents (GB/T 9704-2012), shared by the .docx
and the PDF: A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 22 lines of 28
characters; title 22 pt (二号) 小标宋; body 16 pt (三号) 仿宋; headings 黑体 (一、), 楷体 (（一）),
仿宋 bold (1.) and 仿宋 (（1）); page numbers "— 1 —" 14 pt (四号), right on odd pages and left
on even ones; issuing body and date after the text; the 版记 (抄送, 印发机关, 印发日期) at the foot
of the last page; for notices, the red header (版头) with the document number.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .models import Document

MM = 72 / 25.4  # points per millimetre
PAGE_W, PAGE_H = 210 * MM, 297 * MM
TOP, BOTTOM, LEFT, RIGHT = 37 * MM, 35 * MM, 28 * MM, 26 * MM
TEXT_W = PAGE_W - LEFT - RIGHT  # 156 mm
TEXT_H = PAGE_H - TOP - BOTTOM  # 225 mm
LINES, CHARS = 22, 28
LINE_PITCH = TEXT_H / LINES  # 28.95 pt
CHAR_PITCH = TEXT_W / CHARS  # 15.79 pt
TITLE_PT, BODY_PT, PAGE_NO_PT, HEADER_PT = 22, 16, 14, 36
RED = (0.8, 0.0, 0.0)

# The fonts as the standard names them; the .docx names them so and Word (or WPS) maps them.
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_NUMBER = "宋体"

H1 = re.compile(r"^[一二三四五六七八九十]+、")
H2 = re.compile(r"^（[一二三四五六七八九十]+）")
H3 = re.compile(r"^\d+[.．]")
H4 = re.compile(r"^（\d+）")


@dataclass
class Paragraph:
    text: str
    font: str = FONT_BODY
    bold: bool = False
    indent: bool = True  # the first line indented two characters


@dataclass
class Official:
    """A document laid out: everything both writers print, in order."""

    marks: list[str]
    header: str  # the red header's issuing body (notices), "" for reports
    number: str
    signer: str  # 签发人 (reports up print it beside the number)
    title: str
    addressed_to: str
    paragraphs: list[Paragraph]
    attachments: list[str]
    issuer: str
    date: str
    copy_to: str
    printed_by: str
    printed_on: str
    withdrawn: bool = False
    notes: list[str] = field(default_factory=list)


def chinese_date(day: dt.date) -> str:
    """2020年2月11日 (the standard writes Arabic numerals, without leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def paragraphs(text: str) -> list[Paragraph]:
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if H1.match(line):
            out.append(Paragraph(line, FONT_H1))
        elif H2.match(line):
            out.append(Paragraph(line, FONT_H2))
        elif H3.match(line):
            out.append(Paragraph(line, FONT_BODY, bold=True))
        else:
            out.append(Paragraph(line))
    return out


def official(document: Document) -> Official:
    """What to print for a document, as its signed-off text says."""
    recipients = list(document.recipients.select_related("unit").order_by("role", "unit__code"))
    main = [r.unit.short_name or r.unit.name for r in recipients if r.role == "main"]
    copy = [r.unit.short_name or r.unit.name for r in recipients if r.role == "copy"]
    day = document.issued_on or (document.signed_at.date() if document.signed_at else None)
    notice = document.kind.direction == "down"
    marks = [m for m in (document.classification, document.urgency) if m]
    addressed_to = document.addressed_to or ("、".join(main) if main else "")
    return Official(
        marks=marks,
        header=f"{document.body.name}文件" if notice else "",
        number=document.number or "",
        signer=document.signer_name if not notice else "",
        title=document.display_title,
        addressed_to=f"{addressed_to}：" if addressed_to and not addressed_to.endswith("：") else addressed_to,
        paragraphs=paragraphs(document.text),
        attachments=[a.name for a in document.attachments.all()],
        issuer=document.body.name,
        date=chinese_date(day) if day else "",
        copy_to="，".join(copy),
        printed_by=f"{document.body.name}办公室",
        printed_on=chinese_date(day) if day else "",
        withdrawn=document.status == "withdrawn",
    )
