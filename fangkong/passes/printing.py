"""A4 sheets of pass cards for a print shop: 8 cards (85.6 × 54 mm, the ID-card size) per page,
with crop marks, the Chinese font embedded (subset) and the QR code drawn as vectors."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import qrcode
from qrcode.util import MODE_ALPHA_NUM, QRData
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .choices import PassKind
from .models import Pass
from .templatetags.pass_dates import date_range_zh

FONT_PATH = Path(__file__).parent / "data" / "fonts" / "wqy-microhei.ttc"
FONT = "WenQuanYiMicroHei"
CARD_W, CARD_H = 85.6 * mm, 54 * mm
COLS, ROWS = 2, 4
CARDS_PER_PAGE = COLS * ROWS
GAP = 6 * mm
ISSUER = "市直机关工委"
RED = HexColor("#b71c1c")
BLUE = HexColor("#0d47a1")


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))
    return FONT


MASK = 2


def qr_matrix(token: str) -> list[list[bool]]:
    """The QR modules of a token, in alphanumeric mode (the token's alphabet), error correction M.

    The mask pattern is fixed: scoring all eight (what the library does by default) took three
    quarters of the time of a 1,000-card print run, and every reader decodes any mask.
    """
    # In alphanumeric mode the symbol version depends only on the length: found once per length.
    version = _versions.get(len(token))
    code = qrcode.QRCode(
        version=version, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=MASK
    )
    code.add_data(QRData(token.encode(), mode=MODE_ALPHA_NUM))
    code.make(fit=version is None)
    _versions[len(token)] = code.version
    return code.get_matrix()


_versions: dict[int, int] = {}


def _draw_qr(c: Canvas, token: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(token)
    n = len(matrix)
    cell = size / n
    path = c.beginPath()
    for r, row in enumerate(matrix):
        run = None
        for col, dark in enumerate([*row, False]):
            if dark and run is None:
                run = col
            elif not dark and run is not None:
                path.rect(x + run * cell, y + size - (r + 1) * cell, (col - run) * cell, cell)
                run = None
    c.setFillColor(black)
    c.drawPath(path, stroke=0, fill=1)


def _fit(c: Canvas, text: str, size: float, width: float) -> float:
    while size > 5 and c.stringWidth(text, FONT, size) > width:
        size -= 0.5
    return size


def _card(c: Canvas, p: Pass, x: float, y: float, zone_names: list[str]) -> None:
    colour = RED if p.kind == PassKind.VEHICLE else BLUE
    c.setStrokeColor(HexColor("#999999"))
    c.setLineWidth(0.3)
    c.roundRect(x, y, CARD_W, CARD_H, 3 * mm, stroke=1, fill=0)
    c.setFillColor(colour)
    c.rect(x, y + CARD_H - 11 * mm, CARD_W, 11 * mm, stroke=0, fill=1)
    c.setFillColor(white)
    title = "车辆通行证" if p.kind == PassKind.VEHICLE else "出入证"
    c.setFont(FONT, 15)
    c.drawString(x + 4 * mm, y + CARD_H - 7.8 * mm, title)
    c.setFont(FONT, 7)
    c.drawRightString(x + CARD_W - 4 * mm, y + CARD_H - 7 * mm, ISSUER)
    qr_size = 31 * mm
    _draw_qr(c, p.token, x + CARD_W - qr_size - 3 * mm, y + 4 * mm, qr_size)
    text_w = CARD_W - qr_size - 9 * mm
    c.setFillColor(black)
    left = x + 4 * mm
    line = y + CARD_H - 19 * mm
    holder = p.holder_display
    c.setFont(FONT, _fit(c, holder, 16, text_w))
    c.drawString(left, line, holder)
    rows = [p.unit.display_name]
    if p.kind == PassKind.VEHICLE and p.driver_name:
        rows.append(f"驾驶人 {p.driver_name}")
    rows.append("通行区域 " + ("全市" if not zone_names else "、".join(zone_names)))
    rows.append("有效期 " + date_range_zh(p.valid_from, p.valid_until))
    for text in rows:
        line -= 5.2 * mm
        c.setFont(FONT, _fit(c, text, 8, text_w))
        c.drawString(left, line, text)
    c.setFont(FONT, 11)
    c.setFillColor(colour)
    c.drawString(left, y + 4.5 * mm, p.number)


def _crop_marks(c: Canvas, x: float, y: float) -> None:
    c.setStrokeColor(black)
    c.setLineWidth(0.25)
    m = 2.5 * mm
    for cx in (x, x + CARD_W):
        for cy in (y, y + CARD_H):
            c.line(cx, cy - m - 1 * mm, cx, cy - 1 * mm) if cy == y else c.line(cx, cy + 1 * mm, cx, cy + 1 * mm + m)
            c.line(cx - m - 1 * mm, cy, cx - 1 * mm, cy) if cx == x else c.line(cx + 1 * mm, cy, cx + 1 * mm + m, cy)


def pass_sheets(passes: Iterable[Pass]) -> bytes:
    """The PDF of the given passes, 8 to an A4 page."""
    _font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle("出入证与车辆通行证")
    c.setCreator("fangkong")
    page_w, page_h = A4
    margin_x = (page_w - COLS * CARD_W - (COLS - 1) * GAP) / 2
    margin_y = (page_h - ROWS * CARD_H - (ROWS - 1) * GAP) / 2
    slot = 0
    for p in passes:
        if slot == COLS * ROWS:
            c.showPage()
            slot = 0
        row, col = divmod(slot, COLS)
        x = margin_x + col * (CARD_W + GAP)
        y = page_h - margin_y - (row + 1) * CARD_H - row * GAP
        _card(c, p, x, y, [z.display_name for z in p.zones.all()])
        _crop_marks(c, x, y)
        slot += 1
    if slot == 0:
        c.setFont(FONT, 12)
        c.drawString(30 * mm, page_h - 30 * mm, "没有可打印的通行证")
    c.showPage()
    c.save()
    return buf.getvalue()
