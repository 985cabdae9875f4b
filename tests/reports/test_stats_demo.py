"""The demo story and the stats block: completeness climbs to 100%, zero reports are common, the
ledger exposes a concealment; `fangkong stats --from` counts the range."""

import datetime as dt
import io
import json
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.orgs.models import Unit, UnitLink
from fangkong.orgs.services import unit_update
from fangkong.reports.models import ConcealmentFlag, Report, ReportRollup, ReportTemplate
from fangkong.reports.selectors import assigned_units
from fangkong.reports.services import current_version, report_correct, report_submit, rollup_rebuild

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
    # The roll-up the demo loaded equals the reports counted in Python over the closure table.
    assert stored_rollup() == counted_rollup()
    # Submissions through the service keep it so: first reports (on time, late, after the day),
    # a zero report turned into figures, a figure report turned into a zero one, a correction
    # after locking, and a unit moved to another coordinating body.
    organs = ReportTemplate.objects.get(code="organs-daily")
    industry = ReportTemplate.objects.get(code="industry-daily")
    units = list(assigned_units(organs).order_by("code")[:3])
    day = dt.date(2020, 2, 26)
    tz = timezone.get_current_timezone()
    moment = lambda d, h: dt.datetime.combine(d, dt.time(h), tzinfo=tz)  # noqa: E731
    values = {f["key"]: 0 for f in current_version(organs).fields if f["kind"] == "integer"}
    report_submit(actor=SYSTEM, template=organs, unit=units[0], day=day, zero=True, at=moment(day, 9))
    report_submit(actor=SYSTEM, template=organs, unit=units[1], day=day, values=values, at=moment(day, 20))
    report_submit(actor=SYSTEM, template=organs, unit=units[2], day=day, zero=True,
                  at=moment(day + dt.timedelta(days=1), 8))
    report_submit(actor=SYSTEM, template=organs, unit=units[0], day=day, values=values, at=moment(day, 11))
    report_submit(actor=SYSTEM, template=organs, unit=units[1], day=day, zero=True, at=moment(day, 21))
    old = Report.objects.filter(template=organs, day=dt.date(2020, 2, 3), is_zero=False).first()
    report_correct(actor=SYSTEM, report=old, zero=True, reason="核对", at=moment(day, 12))
    moved = Unit.objects.filter(kind="industry_unit", reports__template=industry).distinct().order_by("code").first()
    other_body = Unit.objects.filter(kind="coordinating_body").exclude(pk=moved.parent_id).order_by("code").first()
    unit_update(actor=SYSTEM, unit=moved, parent=other_body)
    assert stored_rollup() == counted_rollup()
    # And a rebuild from the reports gives the same rows.
    for template in ReportTemplate.objects.all():
        rollup_rebuild(template=template)
    assert stored_rollup() == counted_rollup()


def stored_rollup():
    return {row[:3]: row[3:] for row in ReportRollup.objects.filter(submitted__gt=0).values_list(
        "template_id", "node_id", "day", "submitted", "zero", "on_time")}


def counted_rollup():
    """The roll-up's definition, computed without it: for each report, every unit above its
    unit (itself included) counts it if it came in within its day, as zero and on time too."""
    above = defaultdict(list)
    for ancestor, descendant in UnitLink.objects.values_list("ancestor_id", "descendant_id"):
        above[descendant].append(ancestor)
    counts = defaultdict(lambda: [0, 0, 0])
    for template_id, unit_id, day, in_day, is_zero, on_time in Report.objects.values_list(
            "template_id", "unit_id", "day", "in_day", "is_zero", "on_time"):
        for node in above[unit_id]:
            row = counts[(template_id, node, day)]
            row[0] += in_day
            row[1] += in_day and is_zero
            row[2] += on_time
    return {key: tuple(row) for key, row in counts.items() if row[0]}


def test_stats_refuses_a_range_that_ends_before_it_starts(db):
    with pytest.raises(CommandError):
        stats("--as-of", "2020-02-01", "--from", "2020-02-10")
