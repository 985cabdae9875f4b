"""Account slips (账号通知单): one A4 sheet per unit (more when a unit has many accounts), ten
slips a sheet to cut apart, each with the login, its one-time password and what to do first.
The PDF is made in memory and handed over once; the platform keeps no copy."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable

from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fangkong.passes.printing import _font

from .bulk import Slip

COLS, ROWS = 2, 5
MARGIN = 10 * mm
GREY = HexColor("#888888")
RED = HexColor("#b71c1c")


def slips_pdf(slips: Iterable[Slip], *, site_url: str = "", title: str = "防控指挥调度平台") -> bytes:
    font = _font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=True)
    c.setTitle("账号通知单")
    width, height = A4
    slip_w = (width - 2 * MARGIN) / COLS
    slip_h = (height - 2 * MARGIN - 8 * mm) / ROWS
    by_unit: dict[tuple[str, str], list[Slip]] = defaultdict(list)
    for slip in slips:
        by_unit[(slip.unit_code, slip.unit)].append(slip)
    for (code, unit), group in sorted(by_unit.items()):
        pages = [group[i:i + COLS * ROWS] for i in range(0, len(group), COLS * ROWS)]
        for number, page in enumerate(pages, start=1):
            c.setFont(font, 10)
            c.setFillColor(black)
            c.drawString(MARGIN, height - MARGIN - 4 * mm,
                         f"{unit}（{code}）账号通知单  第{number}/{len(pages)}页  共{len(group)}人  —— 沿虚线剪开，分发本人")
            for i, slip in enumerate(page):
                col, row = i % COLS, i // COLS
                x = MARGIN + col * slip_w
                y = height - MARGIN - 8 * mm - (row + 1) * slip_h
                _draw_slip(c, slip, x, y, slip_w, slip_h, font, site_url, title)
            c.showPage()
    c.save()
    return buffer.getvalue()


def _draw_slip(c: Canvas, slip: Slip, x: float, y: float, w: float, h: float, font: str, site_url: str,
               title: str) -> None:
    c.setDash(3, 3)
    c.setStrokeColor(GREY)
    c.rect(x, y, w, h, stroke=1, fill=0)
    c.setDash()
    left = x + 5 * mm
    top = y + h - 8 * mm
    c.setFillColor(black)
    c.setFont(font, 11)
    c.drawString(left, top, f"{title} · 账号通知单")
    c.setFont(font, 9)
    lines = [f"姓名：{slip.full_name}", f"单位：{slip.unit}"[:34], f"角色：{slip.role}", f"用户名：{slip.username}"]
    for k, line in enumerate(lines):
        c.drawString(left, top - (k + 1) * 5.2 * mm, line)
    c.drawString(left, top - 5 * 5.2 * mm - 1 * mm, "一次性密码：")
    c.setFont("Courier-Bold", 14)
    c.drawString(left + 20 * mm, top - 5 * 5.2 * mm - 1.5 * mm, slip.password)
    c.setFont(font, 7.5)
    c.setFillColor(RED)
    c.drawString(left, y + 9 * mm, "首次登录须修改密码；管理员角色还须绑定动态口令（身份验证器）。")
    c.setFillColor(GREY)
    c.drawString(left, y + 4.5 * mm, (f"登录地址：{site_url}  " if site_url else "") + "本单仅发本人，勿转交、勿拍照外传。")
