"""The official layout (GB/T 9704-2012): the .docx read back with python-docx (page, margins,
fonts and sizes), the PDF rendered with pdftoppm and read with pdftotext."""

import shutil
import subprocess

import docx
import pytest
from django.core.management import call_command
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from fangkong.documents import services
from fangkong.documents.models import Attachment
from fangkong.documents.rendering import render_docx, render_pdf

from .conftest import sign_and_issue

LONG = "\n".join(
    ["一、严格全面排查", "（一）各部门要对本单位全体干部职工节后返程情况进行全面排查，" * 3,
     "1.排查范围", "对域外返程、共同居住近亲属以及有发热症状人员刚性执行居家隔离14天。" * 4,
     "二、隔离防护", "实行“双报制”，报送机关工委的同时第一时间到所在居住社区登记报备。" * 6,
     "三、群策群治", "严禁缓报、漏报、瞒报疫情信息。" * 10, "四、组织纪律", "对执行不力的严肃追责。" * 10,
     "五、工作落实", "请各部门于2月5日前报送排查情况。" * 8])


@pytest.fixture
def issued(notice, office, leader):
    services.document_update(actor=office, document=notice, text=LONG)
    Attachment.objects.create(document=notice, name="返程人员排查登记表")
    return sign_and_issue(notice, office, leader)


def _font_of(run):
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def test_the_docx_has_the_page_margins_fonts_and_sizes_of_the_standard(issued, tmp_path):
    path = tmp_path / "n.docx"
    path.write_bytes(render_docx(issued))
    d = docx.Document(str(path))
    s = d.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    runs = {p.text: p.runs[0] for p in d.paragraphs if p.runs}
    title = runs[issued.title] if issued.title in runs else next(r for t, r in runs.items() if t in issued.title)
    assert _font_of(title) == "方正小标宋简体" and title.font.size == Pt(22)
    assert _font_of(runs["一、严格全面排查"]) == "黑体"
    assert _font_of(next(r for t, r in runs.items() if t.startswith("（一）"))) == "楷体_GB2312"
    body = next(r for t, r in runs.items() if t.startswith("对域外返程"))
    assert _font_of(body) == "仿宋_GB2312" and body.font.size == Pt(16)
    header = runs["中共白岭市直属机关工作委员会文件"]
    assert header.font.color.rgb == docx.shared.RGBColor(0xCC, 0, 0)
    assert issued.number in runs
    assert "中共白岭市直属机关工作委员会" in runs and any(t.startswith("抄送：") for t in runs)
    footer = s.footer.paragraphs[0]
    assert "PAGE" in footer._p.xml and footer.runs[0].font.size == Pt(14)
    assert d.settings.odd_and_even_pages_header_footer
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "580"  # 225 mm / 22 lines, in twips
    assert Mm(1)


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils (make chromium) is not installed")
def test_the_pdf_renders_with_its_pages_and_extractable_chinese_text(issued, tmp_path):
    path = tmp_path / "n.pdf"
    call_command("render_document", issued.number, "--format", "pdf", "--out", str(path))
    assert path.read_bytes() == render_pdf(issued) or path.stat().st_size > 0
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert len(pages) == count >= 2
    assert "A4" in info or "595" in info
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "中共白岭市直属机关工作委员会文件" in text
    assert issued.number in text
    compact = text.replace(" ", "")
    assert "严格全面排查" in text and "—1—" in compact and "—2—" in compact
    assert "抄送：" in text and "印发" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "yes" in fonts.splitlines()[-1].split()  # embedded


def test_render_document_refuses_what_the_user_cannot_see(issued, city, tmp_path):
    from django.core.management.base import CommandError

    from tests import factories as f

    f.user("community_staff", city.comm_2, username="outsider")
    with pytest.raises(CommandError, match="not found"):
        call_command("render_document", issued.number, "--format", "docx", "--out", str(tmp_path / "x.docx"),
                     "--user", "outsider")


def test_write_samples_for_a_look(issued, tmp_path, request):
    """Writes the sample to FANGKONG_LAYOUT_SAMPLES when set (to look at the pages by eye)."""
    import os
    from pathlib import Path

    target = os.environ.get("FANGKONG_LAYOUT_SAMPLES")
    if not target:
        pytest.skip("set FANGKONG_LAYOUT_SAMPLES to a folder to write samples")
    Path(target).mkdir(parents=True, exist_ok=True)
    (Path(target) / "notice.pdf").write_bytes(render_pdf(issued))
    (Path(target) / "notice.docx").write_bytes(render_docx(issued))
