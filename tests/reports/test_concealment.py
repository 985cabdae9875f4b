"""Concealment (瞒报): reports contradicted by the returnee ledger raise flags with evidence;
the committee office confirms or dismisses them with a reason."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import AuditEntry
from fangkong.reports.choices import FlagKind, FlagStatus
from fangkong.reports.models import ConcealmentFlag, Report
from fangkong.reports.services import concealment_scan, flag_review, report_correct, report_submit
from fangkong.returnees import services as ledger
from fangkong.returnees.models import Registration
from tests import factories as f

from .conftest import START, at

VALUES = {"returnees_new": 0, "in_isolation": 0}


def register_unit_side(city, liaison, moment, name="刘返乡"):
    return ledger.register(actor=liaison, side="unit", registered_at=moment, name=name, id_number=f.id_number(),
                           unit=city.dept_a, community=city.comm_1, category="outside",
                           return_date=moment.date(), origin_text="湖北省武汉市")


def test_it_flags_a_zero_report_the_ledger_contradicts(city, tmpl, liaison):
    register_unit_side(city, liaison, at(START, 9))
    report = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 15))
    flag = ConcealmentFlag.objects.get()
    assert (flag.kind, flag.unit_id, flag.day, flag.report_id) == (FlagKind.ZERO_CONTRADICTED, city.dept_a.pk, START,
                                                                    report.pk)
    assert flag.reported == 0 and flag.ledger == 1 and flag.status == FlagStatus.OPEN
    assert flag.evidence[0]["name"] == "刘返乡" and "*" in flag.evidence[0]["id_number"]


def test_it_flags_a_count_below_the_ledger_and_not_a_matching_one(city, tmpl, liaison):
    register_unit_side(city, liaison, at(START, 9))
    register_unit_side(city, liaison, at(START, 10), name="陈归来")
    register_unit_side(city, liaison, at(START, 11), name="周三返")
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START,
                  values={**VALUES, "returnees_new": 1}, at=at(START, 15))
    flag = ConcealmentFlag.objects.get()
    assert (flag.kind, flag.status, flag.reported, flag.ledger) == (FlagKind.COUNT_BELOW_LEDGER, FlagStatus.OPEN, 1, 3)
    # Corrected, still short of the ledger: the open flag is refreshed with the new figure.
    second = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START,
                           values={**VALUES, "returnees_new": 2}, at=at(START, 16))
    flag.refresh_from_db()
    assert (flag.status, flag.reported, flag.ledger, flag.report_id) == (FlagStatus.OPEN, 2, 3, second.pk)
    assert [e["name"] for e in flag.evidence] == ["刘返乡", "陈归来", "周三返"]
    # Corrected to the ledger's count: the check holds, so the flag is closed, with the figures
    # that made it hold and an audit entry; nothing new is raised.
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START,
                  values={**VALUES, "returnees_new": 3}, at=at(START, 17))
    flag.refresh_from_db()
    assert (flag.status, flag.reported, flag.ledger, flag.reviewed_at) == (FlagStatus.RESOLVED, 3, 3, at(START, 17))
    entry = AuditEntry.objects.filter(object_type="reports.concealmentflag", object_id=str(flag.pk),
                                      action="update").get()
    assert entry.after["status"] == FlagStatus.RESOLVED and entry.before["status"] == FlagStatus.OPEN
    assert entry.actor_name == "system"
    assert ConcealmentFlag.objects.count() == 1
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START + dt.timedelta(days=1),
                  values=VALUES, at=at(START + dt.timedelta(days=1), 15))
    assert ConcealmentFlag.objects.count() == 1
    assert ConcealmentFlag.objects.filter(status=FlagStatus.OPEN).count() == 0


def test_a_zero_report_corrected_by_the_office_closes_its_flag(city, tmpl, liaison, office):
    """The flag of a zero report is closed by a correction after the day locked, too; the
    figures it shows are the corrected ones, never the old zero."""
    register_unit_side(city, liaison, at(START, 9))
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 15))
    flag = ConcealmentFlag.objects.get()
    assert (flag.kind, flag.status, flag.reported) == (FlagKind.ZERO_CONTRADICTED, FlagStatus.OPEN, 0)
    report = Report.objects.get()
    report_correct(actor=office, report=report, values={**VALUES, "returnees_new": 1}, reason="补报",
                   at=at(START + dt.timedelta(days=5), 9))
    flag.refresh_from_db()
    assert (flag.status, flag.reported, flag.ledger) == (FlagStatus.RESOLVED, 1, 1)


def test_a_flag_closes_when_the_ledger_entry_behind_it_goes(city, tmpl, liaison):
    """The ledger can change too (a registration merged away): the daily rescan then closes the
    flag, even though nothing is left in the ledger for that unit and day."""
    returnee = register_unit_side(city, liaison, at(START, 9))
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 15))
    Registration.objects.filter(returnee=returnee).delete()
    concealment_scan(template=tmpl, day=START)
    flag = ConcealmentFlag.objects.get()
    assert (flag.status, flag.reported, flag.ledger) == (FlagStatus.RESOLVED, 0, 0)


def test_it_flags_a_community_registration_the_units_reports_never_counted(city, tmpl, liaison):
    staff = f.user("community_staff", city.comm_1)
    ledger.register(actor=staff, side="community", registered_at=at(START, 11), name="王未报",
                    id_number=f.id_number(), unit=city.dept_b, community=city.comm_1, category="outside",
                    return_date=START, origin_text="北京市朝阳区")
    other = f.user("unit_liaison", city.dept_b)
    report_submit(actor=other, template=tmpl, unit=city.dept_b, day=START, zero=True, at=at(START, 15))
    flag = ConcealmentFlag.objects.get()
    assert flag.kind == FlagKind.COMMUNITY_UNCOUNTED and flag.unit_id == city.dept_b.pk and flag.ledger == 1
    assert flag.evidence[0]["registered_by_unit"] == city.comm_1.name
    # Running the check again does not duplicate the flag.
    concealment_scan(template=tmpl, day=START)
    assert ConcealmentFlag.objects.count() == 1


def test_the_office_confirms_or_dismisses_with_a_reason(city, tmpl, liaison, office):
    register_unit_side(city, liaison, at(START, 9))
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 15))
    flag = ConcealmentFlag.objects.get()
    with pytest.raises(PermissionDenied):
        flag_review(actor=liaison, flag=flag, confirm=False, reason="不是")
    with pytest.raises(ValidationError):
        flag_review(actor=office, flag=flag, confirm=True, reason=" ")
    flag = flag_review(actor=office, flag=flag, confirm=True, reason="经核实确属瞒报")
    assert flag.status == FlagStatus.CONFIRMED and flag.reviewed_by == office and flag.review_reason == "经核实确属瞒报"
    with pytest.raises(ValidationError):
        flag_review(actor=office, flag=flag, confirm=False, reason="再议")
    # A reviewed flag is not rewritten by a later check.
    concealment_scan(template=tmpl, day=START)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CONFIRMED


def test_a_community_registration_after_the_zero_report_is_flagged_by_the_rescan(city, tmpl):
    """The unit's zero report went in at noon; the community registered its returnee in the evening."""
    from io import StringIO

    from django.core.management import call_command

    other = f.user("unit_liaison", city.dept_b)
    report_submit(actor=other, template=tmpl, unit=city.dept_b, day=START, zero=True, at=at(START, 12))
    assert not ConcealmentFlag.objects.exists()
    staff = f.user("community_staff", city.comm_1)
    ledger.register(actor=staff, side="community", registered_at=at(START, 19), name="晚登记",
                    id_number=f.id_number(), unit=city.dept_b, community=city.comm_1, category="outside",
                    return_date=START, origin_text="北京市朝阳区")
    out = StringIO()
    call_command("scan_concealment", "--from", START.isoformat(), "--to", START.isoformat(), stdout=out)
    flag = ConcealmentFlag.objects.get()
    assert (flag.kind, flag.unit_id, flag.day, flag.ledger) == (FlagKind.COMMUNITY_UNCOUNTED, city.dept_b.pk, START, 1)
    assert flag.evidence[0]["name"] == "晚登记"
    assert "1 concealment flag" in out.getvalue()
    # The reminder loop's pass runs the same check over the unlocked days and raises nothing twice.
    call_command("send_reminders", "--at", at(START, 20).isoformat(), stdout=StringIO())
    assert ConcealmentFlag.objects.count() == 1


def test_the_rescan_refuses_a_reversed_range(city, tmpl):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--from"):
        call_command("scan_concealment", "--from", "2020-02-10", "--to", "2020-02-01")


def test_a_flag_is_reviewed_only_within_the_reviewers_scope(city, tmpl, liaison):
    """The office of one part of the tree cannot close another part's flags."""
    register_unit_side(city, liaison, at(START, 9))
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 15))
    flag = ConcealmentFlag.objects.get()
    elsewhere = f.user("committee_office", city.dept_b)
    with pytest.raises(PermissionDenied):
        flag_review(actor=elsewhere, flag=flag, confirm=False, reason="不是瞒报")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN and flag.reviewed_by is None


def test_no_actor_may_send_or_correct_a_report(city, tmpl, liaison):
    """A caller that forgets the actor is refused, never taken for the system."""
    with pytest.raises(PermissionDenied):
        report_submit(actor=None, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 15))
    report = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 15))
    with pytest.raises(PermissionDenied):
        report_correct(actor=None, report=report, values={**VALUES, "returnees_new": 1}, reason="补报")
    assert Report.objects.get().is_zero
