"""A document as .docx (python-docx) and as PDF (reportlab), both in the official layout of
``layout.py``.

The .docx names the fonts as the standard does (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312, set as
the east-asian font ``w:eastAsia``); the office's word processor maps them. The PDF embeds one free
CJK TrueType face, WenQuanYi Micro Hei (vendored for the passes), for every role: the free 仿宋 and
楷体 faces are OpenType CFF (which reportlab cannot embed) or too large to vendor, so the PDF keeps
the standard's sizes, colours and positions and prints all text in that one face.
"""

from __future__ import annotations

import io
from typing import Any

from .layout import (
    BODY_PT,
    BOTTOM,
    CHAR_PITCH,
    FONT_BODY,
    FONT_H1,
    FONT_NUMBER,
    FONT_TITLE,
    HEADER_PT,
    LEFT,
    LINE_PITCH,
    MM,
    PAGE_H,
    PAGE_NO_PT,
    PAGE_W,
    RED,
    RIGHT,
    TEXT_W,
    TITLE_PT,
    TOP,
    Official,
    official,
)
from .models import Document

# -- .docx ------------------------------------------------------------------------------------------


def _font(run: Any, name: str, size: float, *, bold: bool = False, red: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if red:
        run.font.color.rgb = RGBColor(0xCC, 0x00, 0x00)
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), name)
    fonts.set(qn("w:hAnsi"), name)


def _para(doc: Any, text: str = "", *, font: str = FONT_BODY, size: float = BODY_PT, bold: bool = False,
          align: str = "left", indent: float = 0, right_indent: float = 0, red: bool = False) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(round(LINE_PITCH, 2))
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.alignment = {"left": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                     "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    if indent:
        fmt.first_line_indent = Pt(indent)
    if right_indent:
        fmt.right_indent = Pt(right_indent)
    if text:
        _font(p.add_run(text), font, size, bold=bold, red=red)
    return p


def _border(paragraph: Any, side: str, size_eighths: int, color: str = "000000") -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), color)
    borders.append(line)


def _page_number(paragraph: Any) -> None:
    """— PAGE — in 14 pt 宋体 (the standard's 4号 半角宋体 Arabic numerals)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    _font(paragraph.add_run("— "), FONT_NUMBER, PAGE_NO_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        run = paragraph.add_run()
        _font(run, FONT_NUMBER, PAGE_NO_PT)
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _font(paragraph.add_run(" —"), FONT_NUMBER, PAGE_NO_PT)


def render_docx(document: Document) -> bytes:
    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    o = official(document)
    doc = Docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28) - Pt(PAGE_NO_PT)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    # 22 lines a page, 28 characters a line.
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH * 20)))
    grid.set(qn("w:charSpace"), str(round((CHAR_PITCH - BODY_PT) * 4096)))
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT_BODY, Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_BODY)
    # Page numbers outside: right on odd pages, left on even ones.
    doc.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = Pt(BODY_PT)
    _page_number(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = Pt(BODY_PT)
    _page_number(even)

    first = doc.paragraphs[0] if doc.paragraphs else None
    if first is not None:
        first._p.getparent().remove(first._p)
    if o.withdrawn:
        _para(doc, "作废", font=FONT_H1, red=True)
    for mark in o.marks:
        _para(doc, mark, font=FONT_H1)
    if o.header:
        _para(doc)
        _para(doc, o.header, font=FONT_TITLE, size=HEADER_PT, align="center", red=True)
        _para(doc)
        number = _para(doc, o.number, align="center")
        _border(number, "bottom", 18, "CC0000")
    elif o.number:
        line = _para(doc, o.number, align="left")
        if o.signer:
            _font(line.add_run("　　　　签发人：" + o.signer), FONT_BODY, BODY_PT)
        _border(line, "bottom", 18, "CC0000")
    _para(doc)
    for part in _split_title(o.title):
        _para(doc, part, font=FONT_TITLE, size=TITLE_PT, align="center")
    _para(doc)
    if o.addressed_to:
        _para(doc, o.addressed_to)
    for paragraph in o.paragraphs:
        _para(doc, paragraph.text, font=paragraph.font, bold=paragraph.bold, indent=2 * BODY_PT)
    if o.attachments:
        _para(doc)
        for i, name in enumerate(o.attachments, 1):
            prefix = "附件：" if i == 1 else "　　　"
            _para(doc, f"{prefix}{i}．{name}" if len(o.attachments) > 1 else f"附件：{name}", indent=2 * BODY_PT)
    _para(doc)
    _para(doc)
    _para(doc, o.issuer, align="right", right_indent=4 * BODY_PT)
    _para(doc, o.date, align="right", right_indent=4 * BODY_PT)
    _para(doc)
    # 版记: 抄送 and 印发机关/印发日期 between rules, closing the last page.
    first_rule = _para(doc, f"抄送：{o.copy_to}。" if o.copy_to else "", size=14, indent=14)
    _border(first_rule, "top", 8)
    _border(first_rule, "bottom", 4)
    printed = _para(doc, size=14, indent=14)
    _font(printed.add_run(f"{o.printed_by}"), FONT_BODY, 14)
    printed.paragraph_format.tab_stops.add_tab_stop(Mm(156) - Pt(14), alignment=2)  # right
    _font(printed.add_run(f"\t{o.printed_on}印发"), FONT_BODY, 14)
    _border(printed, "bottom", 8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _split_title(title: str, width: int = 20) -> list[str]:
    """A long title in lines of at most ``width`` characters, balanced (梯形 rather than a stub)."""
    if len(title) <= width:
        return [title]
    lines = -(-len(title) // width)
    size = -(-len(title) // lines)
    return [title[i : i + size] for i in range(0, len(title), size)]


# -- PDF --------------------------------------------------------------------------------------------

PDF_FONT = "WQYMicroHei"
# Characters that may not begin a line (避头点): they stay at the end of the line before.
NO_START = set("，。、；：！？）》」』”’%．,.;:!?)")
# Characters that may not end a line (避尾点): they go to the start of the next.
NO_END = set("“‘（《「『(")


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from fangkong.passes.printing import FONT_PATH

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(PDF_FONT, str(FONT_PATH), subfontIndex=0))
    return PDF_FONT


class _Pdf:
    """Lines on the page grid: 22 lines a page from the top of the text area."""

    def __init__(self, out: io.BytesIO, title: str) -> None:
        from reportlab.pdfgen import canvas

        self.font = _register_font()
        self.c = canvas.Canvas(out, pagesize=(PAGE_W, PAGE_H))
        self.c.setTitle(title)
        self.c.setAuthor("fangkong")
        self.page = 1
        self.line = 0  # the next free line of the grid on this page

    def baseline(self, line: int) -> float:
        # The text sits on the lower part of its grid line (as a word processor sets it).
        return PAGE_H - TOP - line * LINE_PITCH - LINE_PITCH * 0.78

    def width(self, text: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return stringWidth(text, self.font, size)

    def wrap(self, text: str, size: float, first_indent: float, width: float = TEXT_W) -> list[str]:
        """Lines of ``text``: characters set on the grid's pitch, punctuation kept off a line's start."""
        lines: list[str] = []
        current, used = "", first_indent
        for ch in text:
            w = self._advance(ch, size)
            if used + w > width + 0.5 and current and ch not in NO_START:
                carry = ""
                while current and current[-1] in NO_END:
                    carry, current = current[-1] + carry, current[:-1]
                lines.append(current)
                current, used = carry, sum(self._advance(c, size) for c in carry)
            current += ch
            used += w
        if current:
            lines.append(current)
        return lines

    def _advance(self, ch: str, size: float) -> float:
        if size == BODY_PT and ord(ch) > 0x2E80:
            return CHAR_PITCH
        return self.width(ch, size)

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.line = 0

    def need(self, lines: int) -> None:
        if self.line + lines > 22:
            self.new_page()

    def text_line(self, text: str, *, size: float = BODY_PT, x: float = LEFT, align: str = "left",
                  color: tuple[float, float, float] = (0, 0, 0), right_gap: float = 0, heavy: bool = False) -> None:
        self.need(1)
        y = self.baseline(self.line)
        self.draw(text, x=x, y=y, size=size, align=align, color=color, right_gap=right_gap, heavy=heavy)
        self.line += 1

    def draw(self, text: str, *, x: float, y: float, size: float, align: str = "left",
             color: tuple[float, float, float] = (0, 0, 0), right_gap: float = 0, heavy: bool = False) -> None:
        c = self.c
        c.setFillColorRGB(*color)
        c.setStrokeColorRGB(*color)
        width = sum(self._advance(ch, size) for ch in text)
        if align == "center":
            x = LEFT + (TEXT_W - width) / 2
        elif align == "right":
            x = LEFT + TEXT_W - right_gap - width
        line = c.beginText()
        line.setFont(self.font, size)
        # Fill and stroke gives heavier strokes for 黑体 headings; the mode outlives the text object,
        # so every line states its own.
        c.setLineWidth(0.45)
        line._code.append(f"{2 if heavy else 0} Tr")
        for ch in text:
            line.setTextOrigin(x, y)
            line.textOut(ch)
            x += self._advance(ch, size)
        c.drawText(line)
        c.setStrokeColorRGB(0, 0, 0)

    def paragraph(self, text: str, *, indent: int = 2, heavy: bool = False) -> None:
        """A paragraph on the grid; ``heavy``: a 黑体 heading, set with a thin outline over the
        fill so it reads heavier than the text (the PDF has one face)."""
        first = indent * CHAR_PITCH
        for i, line in enumerate(self.wrap(text, BODY_PT, first)):
            self.text_line(line, x=LEFT + (first if i == 0 else 0), heavy=heavy)

    def footer(self) -> None:
        """— N — in 14 pt, 7 mm below the text area, outside (odd right, even left), one
        character in from the edge of the text area."""
        text = f"— {self.page} —"
        y = BOTTOM - 7 * MM - PAGE_NO_PT * 0.8
        self.c.setFillColorRGB(0, 0, 0)
        self.c.setFont(self.font, PAGE_NO_PT)
        width = self.width(text, PAGE_NO_PT)
        x = PAGE_W - RIGHT - BODY_PT - width if self.page % 2 else LEFT + BODY_PT
        self.c.drawString(x, y, text)


def render_pdf(document: Document) -> bytes:
    o = official(document)
    out = io.BytesIO()
    pdf = _Pdf(out, o.title)
    c = pdf.c
    if o.withdrawn:
        pdf.draw("作　废", x=PAGE_W - RIGHT - 4 * BODY_PT, y=PAGE_H - TOP + 8 * MM, size=BODY_PT * 1.5, color=RED)
    for mark in o.marks:
        pdf.text_line(mark)
    if o.header:
        # 版头: the issuing body's mark 35 mm below the top of the text area, red, centred and set
        # to the text's width at most; the number two lines below; the red rule 4 mm under it.
        top = PAGE_H - TOP - 35 * MM
        size = min(HEADER_PT, TEXT_W / max(len(o.header), 1))
        pdf.draw(o.header, x=LEFT, y=top - size * 0.88, size=size, align="center", color=RED)
        number_y = top - size - 2 * LINE_PITCH + BODY_PT * 0.2
        pdf.draw(o.number, x=LEFT, y=number_y, size=BODY_PT, align="center")
        rule_y = number_y - 4 * MM - BODY_PT * 0.2
        c.setStrokeColorRGB(*RED)
        c.setLineWidth(1.5)
        c.line(LEFT, rule_y, LEFT + TEXT_W, rule_y)
        c.setStrokeColorRGB(0, 0, 0)
        pdf.line = int((PAGE_H - TOP - rule_y) // LINE_PITCH) + 2
    elif o.number:
        text = o.number + (f"　　　签发人：{o.signer}" if o.signer else "")
        pdf.text_line(text, x=LEFT + BODY_PT)
        rule_y = pdf.baseline(pdf.line - 1) - 4 * MM
        c.setStrokeColorRGB(*RED)
        c.setLineWidth(1.5)
        c.line(LEFT, rule_y, LEFT + TEXT_W, rule_y)
        c.setStrokeColorRGB(0, 0, 0)
        pdf.line += 1
    for part in _split_title(o.title):
        pdf.text_line(part, size=TITLE_PT, align="center")
    pdf.line += 1
    if o.addressed_to:
        pdf.paragraph(o.addressed_to, indent=0)
    for paragraph in o.paragraphs:
        pdf.paragraph(paragraph.text, heavy=paragraph.font == FONT_H1 or paragraph.bold)
    if o.attachments:
        pdf.line += 1
        for i, name in enumerate(o.attachments, 1):
            pdf.paragraph(f"附件：{i}．{name}" if len(o.attachments) > 1 else f"附件：{name}")
    # Two blank lines before the signature; one when that keeps it on the text's page (the
    # standard keeps the issuing body and the date on the page of the text's end).
    pdf.line += 2 if pdf.line + 4 <= 22 else 1
    pdf.need(2)
    # The date four characters in from the right; the issuing body centred over it.
    date_w = sum(pdf._advance(ch, BODY_PT) for ch in o.date)
    issuer_w = sum(pdf._advance(ch, BODY_PT) for ch in o.issuer)
    gap = max(4 * CHAR_PITCH + (date_w - issuer_w) / 2, 0)
    pdf.text_line(o.issuer, align="right", right_gap=gap)
    pdf.text_line(o.date, align="right", right_gap=4 * CHAR_PITCH)
    # 版记 at the foot of the last page: 抄送 (wrapped, its later lines under its first name) and
    # 印发机关/印发日期 between rules, the last rule on the bottom edge of the text area.
    copy_lines = pdf.wrap(f"抄送：{o.copy_to}。", 14, 0, width=TEXT_W - 2 * 14) if o.copy_to else []
    needed = len(copy_lines) + 1
    if pdf.line > 22 - needed:
        pdf.new_page()
    c.setFillColorRGB(0, 0, 0)
    pdf.draw(o.printed_by, x=LEFT + 14, y=BOTTOM + LINE_PITCH * 0.3, size=14)
    pdf.draw(f"{o.printed_on}印发", x=LEFT, y=BOTTOM + LINE_PITCH * 0.3, size=14, align="right", right_gap=14)
    for i, text in enumerate(reversed(copy_lines)):
        first = i == len(copy_lines) - 1
        pdf.draw(text, x=LEFT + 14 + (0 if first else 3 * 14), y=BOTTOM + LINE_PITCH * (1.3 + i), size=14)
    top = BOTTOM + LINE_PITCH * needed
    c.setLineWidth(1.0)
    c.line(LEFT, top, LEFT + TEXT_W, top)
    if copy_lines:
        c.setLineWidth(0.5)
        c.line(LEFT, BOTTOM + LINE_PITCH, LEFT + TEXT_W, BOTTOM + LINE_PITCH)
    c.setLineWidth(1.0)
    c.line(LEFT, BOTTOM, LEFT + TEXT_W, BOTTOM)
    pdf.footer()
    c.save()
    return out.getvalue()


def render(document: Document, fmt: str) -> bytes:
    if fmt == "docx":
        return render_docx(document)
    if fmt == "pdf":
        return render_pdf(document)
    raise ValueError(fmt)


def file_name(document: Document, fmt: str) -> str:
    return f"{document.number or document.pk}-{document.title}.{fmt}".replace("/", "-")


__all__ = ["Official", "file_name", "render", "render_docx", "render_pdf"]
