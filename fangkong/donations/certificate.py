"""The donation certificate (捐赠证书): one numbered A4 page per donor with the committee's name,
what the donor gave (totals per item) and the date, the Chinese font embedded."""

from __future__ import annotations

import io

from django.db.models import Sum
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fangkong.core import clock
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.passes.printing import _font

from .models import Donor, Intake
from .services import fmt

RED = HexColor("#b71c1c")
COMMITTEE = "市直机关工委"


def committee_name() -> str:
    unit = Unit.objects.filter(kind=UnitKind.WORKING_COMMITTEE).order_by("id").first()
    return unit.name if unit else COMMITTEE


def certificate_pdf(donor: Donor) -> bytes:
    font = _font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    c = Canvas(buffer, pagesize=(width, height))
    c.setTitle(f"捐赠证书 {donor.certificate_number or ''}")
    c.setStrokeColor(RED)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(1)
    c.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)
    c.setFillColor(RED)
    c.setFont(font, 40)
    c.drawCentredString(width / 2, height - 50 * mm, "捐 赠 证 书")
    c.setFillColor(HexColor("#222222"))
    c.setFont(font, 12)
    c.drawRightString(width - 26 * mm, height - 28 * mm, f"编号：{donor.certificate_number or '—'}")
    c.setFont(font, 18)
    c.drawString(34 * mm, height - 72 * mm, f"{donor.name}：")
    c.setFont(font, 15)
    c.drawString(44 * mm, height - 86 * mm, "感谢您在新冠肺炎疫情防控期间向我委捐赠以下防疫物资：")
    rows = (Intake.objects.filter(donor=donor).values("item__name", "item__measure__name")
            .annotate(total=Sum("quantity")).order_by("item__name"))
    y = height - 102 * mm
    for row in rows:
        c.drawString(56 * mm, y, f"{row['item__name']}　{fmt(row['total'])} {row['item__measure__name']}")
        y -= 9 * mm
    c.drawString(44 * mm, max(y - 4 * mm, 52 * mm), "您的爱心已按市委组织部统一安排发放至防控一线，特发此证，以资感谢。")
    c.setFont(font, 16)
    c.drawRightString(width - 40 * mm, 40 * mm, committee_name())
    today = clock.today()
    c.drawRightString(width - 40 * mm, 30 * mm, f"{today.year}年{today.month}月{today.day}日")
    c.showPage()
    c.save()
    return buffer.getvalue()
