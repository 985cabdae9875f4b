"""The demo's papers: the three notices (the first 白岭直党工发〔2020〕1号 with replies), report (一)
with the seed's figures as of 10 February 24:00, the thousand-cadres report as of the 15th, an
instruction on each with items, some closed; ``fangkong stats`` gives the documents block."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from fangkong.documents.models import Document, Instruction, InstructionItem, Reply
from fangkong.documents.services import figure_changes


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("demo", "--reset", "--i-know-this-is-not-production", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        from fangkong.core import clock
        from fangkong.orgs.management.commands.demo import wipe_all_data

        wipe_all_data()
        clock.unfreeze()


@pytest.mark.django_db
def test_the_demo_has_the_sources_papers(demo):
    first = Document.objects.get(number="白岭直党工发〔2020〕1号")
    assert "五、工作落实" in first.text and first.kind.name == "紧急通知"
    assert Reply.objects.filter(recipient__document=first).count() > 60
    assert Reply.objects.filter(late=True).exists()
    assert Document.objects.filter(number__in=["白岭直党工发〔2020〕2号", "白岭直党工发〔2020〕3号"]).count() == 2
    report = Document.objects.get(title="关于节后返程输入人员上报情况报告")
    assert report.display_title.endswith("（一）") and report.issued_on.isoformat() == "2020-02-11"
    figures = {f["key"]: f["value"] for f in report.figures}
    assert figures["organs.returnees"] == 271 and figures["organs.units_with_returnees"] == 62
    assert figures["organs.dual_report_rate"] == 1.0
    assert figures["industry.returnees"] == 194 and figures["industry.units_with_returnees"] == 34
    assert figures["industry.industry_units"] == 67
    assert "输入人员共271人" in report.text and "100%" in report.text
    assert figure_changes(report) == []
    cadres = Document.objects.get(title="关于千名干部下社区的情况报告")
    assert cadres.as_of.date().isoformat() == "2020-02-15"
    assert Instruction.objects.filter(document__in=[report, cadres]).count() == 2
    assert InstructionItem.objects.filter(status="closed").exists()
    assert InstructionItem.objects.exclude(status="closed").exists()


@pytest.mark.django_db
def test_stats_gives_the_documents_block(demo):
    out = StringIO()
    call_command("stats", "--as-of", "2020-02-25", "--json", stdout=out)
    block = json.loads(out.getvalue())["documents"]
    assert block["issued"] == 5 and block["by_kind"]["通知"] == 2
    assert set(block) == {"issued", "by_kind", "unsigned_receipts", "replies_overdue", "instructions",
                          "instruction_items_open", "instruction_items_overdue"}
    assert block["instructions"] == 2 and block["instruction_items_overdue"] >= 1
