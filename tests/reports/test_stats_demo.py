"""The demo story and the stats block: completeness climbs to 100%, zero reports are common, the
ledger exposes a concealment; `fangkong stats --from` counts the range."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from fangkong.reports.models import ConcealmentFlag, ReportRollup, ReportTemplate
from fangkong.reports.services import rollup_rebuild

KEYS = {"expected", "submitted", "zero", "on_time", "late", "missing", "completeness", "timeliness",
        "concealment_flags"}


def stats(*args):
    out = io.StringIO()
    call_command("stats", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_demo_tells_the_daily_report_story(db):
    call_command("demo", stdout=io.StringIO())
    first = stats("--as-of", "2020-01-27")["daily_reports"]
    tenth = stats("--as-of", "2020-02-10")["daily_reports"]
    last = stats("--as-of", "2020-02-25")["daily_reports"]
    assert set(tenth) == KEYS
    assert first["expected"] > 250 and first["completeness"] < 0.8 and first["late"] > 0 and first["missing"] > 0
    assert first["completeness"] < tenth["completeness"] < 1.0
    assert last["completeness"] == last["timeliness"] == 1.0
    assert last["zero"] > last["submitted"] / 3
    month = stats("--as-of", "2020-02-25", "--from", "2020-01-27")
    assert month["from"] == "2020-01-27"
    block = month["daily_reports"]
    assert block["expected"] == 30 * first["expected"] and block["concealment_flags"] >= 1
    assert block["submitted"] + block["missing"] == block["expected"]
    # The flag comes from the ledger: a zero report on a day the unit registered people.
    flag = ConcealmentFlag.objects.filter(kind="zero_contradicted").first()
    assert flag is not None and flag.report.is_zero and flag.ledger >= 1 and flag.evidence
    # The maintained roll-up equals one rebuilt from the reports.
    before = sorted(ReportRollup.objects.values_list("template_id", "node_id", "day", "submitted", "zero", "on_time"))
    for template in ReportTemplate.objects.all():
        rollup_rebuild(template=template)
    after = sorted(ReportRollup.objects.values_list("template_id", "node_id", "day", "submitted", "zero", "on_time"))
    assert before == after


def test_stats_refuses_a_range_that_ends_before_it_starts(db):
    with pytest.raises(CommandError):
        stats("--as-of", "2020-02-01", "--from", "2020-02-10")
