"""Submission and the zero report: one report per unit and day, every change kept; bad input
refused with a clear message and nothing half-written."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from fangkong.reports import services
from fangkong.reports.models import Report, ReportRevision
from fangkong.reports.services import field_add, field_remove, report_correct, report_submit

from .conftest import START, at

GOOD = {"returnees_new": "2", "in_isolation": "3", "fever_found": "否", "anomalies": ""}


def test_it_takes_a_zero_report_as_a_submission(city, tmpl, liaison):
    report = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 9))
    assert report.is_zero and report.values == {} and report.on_time and report.in_day
    assert report.revisions.get().kind == "submit"


def test_it_updates_the_one_report_and_keeps_the_earlier_values(city, tmpl, liaison):
    first = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 9))
    second = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, values=GOOD, at=at(START, 17))
    assert first.pk == second.pk and Report.objects.count() == 1
    second.refresh_from_db()
    # The first receipt decides "on time"; the update is kept with who and when.
    assert second.on_time and second.values == {"returnees_new": 2, "in_isolation": 3, "fever_found": False}
    revs = list(ReportRevision.objects.filter(report=second).order_by("number"))
    assert [(r.kind, r.is_zero, r.changed_by_id) for r in revs] == [("submit", True, liaison.pk),
                                                                     ("update", False, liaison.pk)]
    assert revs[1].changed_at == at(START, 17)


def test_it_ignores_a_duplicate_submission(city, tmpl, liaison):
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, values=GOOD, at=at(START, 9))
    report = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, values=GOOD, at=at(START, 9, 1))
    assert report.revision_count == 1 and ReportRevision.objects.count() == 1 and Report.objects.count() == 1


def test_it_refuses_an_empty_report(city, tmpl, liaison):
    with pytest.raises(ValidationError) as exc:
        report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, values={}, at=at(START))
    assert "returnees_new" in exc.value.message_dict
    assert not Report.objects.exists()


def test_it_refuses_missing_required_fields(city, tmpl, liaison):
    with pytest.raises(ValidationError) as exc:
        report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START,
                      values={"returnees_new": "1", "anomalies": "无"}, at=at(START))
    assert exc.value.message_dict["in_isolation"] == ["居家隔离人数 is required."] or \
        "居家隔离人数" in exc.value.message_dict["in_isolation"][0]
    assert not Report.objects.exists()


@pytest.mark.parametrize("value", ["-1", "501", "1e9", "abc", "2.5", True])
def test_it_refuses_negative_or_absurd_numbers(city, tmpl, liaison, value):
    with pytest.raises(ValidationError) as exc:
        report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START,
                      values={**GOOD, "returnees_new": value}, at=at(START))
    assert "returnees_new" in exc.value.message_dict
    assert not Report.objects.exists() and not ReportRevision.objects.exists()


def test_it_refuses_another_units_report(city, tmpl, liaison):
    with pytest.raises(PermissionDenied, match=r"own unit|本单位"):
        report_submit(actor=liaison, template=tmpl, unit=city.dept_b, day=START, zero=True, at=at(START))
    assert not Report.objects.exists()


def test_it_refuses_a_future_day(city, tmpl, liaison):
    with pytest.raises(ValidationError) as exc:
        report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START + dt.timedelta(days=1), zero=True,
                      at=at(START, 23))
    assert "day" in exc.value.message_dict


def test_it_refuses_a_unit_not_asked_to_report(city, tmpl, office):
    with pytest.raises(ValidationError):
        report_submit(actor=office, template=tmpl, unit=city.street, day=START, zero=True, at=at(START))
    with pytest.raises(ValidationError):
        report_submit(actor=office, template=tmpl, unit=city.dept_a, day=START - dt.timedelta(days=1), zero=True,
                      at=at(START))


def test_it_locks_a_day_after_n_days_and_only_the_office_corrects(city, tmpl, liaison, office, settings):
    settings.FANGKONG_REPORTS_LOCK_DAYS = 3
    report = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, values=GOOD, at=at(START))
    later = at(START + dt.timedelta(days=3), 0, 1)
    # Still open two days later, locked on the third.
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, values={**GOOD, "in_isolation": 4},
                  at=at(START + dt.timedelta(days=2), 23))
    with pytest.raises(ValidationError, match=r"locked|锁定"):
        report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=later)
    with pytest.raises(PermissionDenied):
        report_correct(actor=liaison, report=report, zero=True, reason="改错", at=later)
    with pytest.raises(ValidationError) as exc:
        report_correct(actor=office, report=report, zero=True, reason="  ", at=later)
    assert "reason" in exc.value.message_dict
    report_correct(actor=office, report=report, values={**GOOD, "returnees_new": 5}, reason="核实后更正", at=later)
    report.refresh_from_db()
    assert report.values["returnees_new"] == 5 and report.revision_count == 3
    kinds = list(report.revisions.order_by("number").values_list("kind", "changed_by", "values__in_isolation", "reason"))
    assert kinds == [("submit", liaison.pk, 3, ""), ("update", liaison.pk, 4, ""),
                     ("correct", office.pk, 3, "核实后更正")]


def test_it_keeps_old_reports_readable_when_a_field_is_removed(city, tmpl, liaison, office):
    old = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START,
                        values={**GOOD, "anomalies": "有一人未报"}, at=at(START))
    anomalies = tmpl.fields.get(key="anomalies")
    field_remove(actor=office, field=anomalies)
    tmpl.refresh_from_db()
    assert tmpl.version == 2
    # The old report still carries the version it answered, with the removed field.
    old.refresh_from_db()
    assert old.version.number == 1 and "anomalies" in [f["key"] for f in old.version.fields]
    assert old.values["anomalies"] == "有一人未报"
    # A new submission answering the removed field is refused, clearly.
    with pytest.raises(ValidationError) as exc:
        report_submit(actor=liaison, template=tmpl, unit=city.dept_b if False else city.dept_a,
                      day=START + dt.timedelta(days=1), values={**GOOD, "anomalies": "x"},
                      at=at(START + dt.timedelta(days=1)))
    assert "anomalies" in exc.value.message_dict
    # Adding a question needs no release: it is asked from the next submission on.
    field_add(actor=office, template=tmpl, key="masks", label="口罩库存", kind="integer", required=True)
    new = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START + dt.timedelta(days=1),
                        values={"returnees_new": 0, "in_isolation": 1, "masks": 30},
                        at=at(START + dt.timedelta(days=1)))
    assert new.version.number == 3 and new.values["masks"] == 30


def test_it_only_lets_the_office_change_templates(city, tmpl, liaison):
    with pytest.raises(PermissionDenied):
        field_add(actor=liaison, template=tmpl, key="x", label="X", kind="integer")


@pytest.mark.django_db(transaction=True)
def test_two_liaisons_at_the_same_moment_make_one_report_and_lose_nothing(city, tmpl):
    from tests import factories as f

    a, b = f.user("unit_liaison", city.dept_a), f.user("unit_liaison", city.dept_a)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    moment = timezone.now().replace(year=2020, month=2, day=1, hour=10)

    def send(user, n, threaded=True):
        try:
            if threaded:
                barrier.wait(timeout=5)
            report_submit(actor=user, template=tmpl, unit=city.dept_a, day=START,
                          values={**GOOD, "returnees_new": n}, at=moment)
        except BaseException as exc:
            errors.append(exc)
        finally:
            if threaded:
                connection.close()

    if connection.vendor == "sqlite":
        # SQLite serialises writers; one after the other must give the same result.
        send(a, 1, threaded=False)
        send(b, 2, threaded=False)
    else:
        threads = [threading.Thread(target=send, args=(u, n)) for u, n in ((a, 1), (b, 2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    report = Report.objects.get()
    assert report.revision_count == 2
    assert sorted(report.revisions.values_list("values__returnees_new", flat=True)) == [1, 2]
    assert report.values["returnees_new"] == report.revisions.order_by("-number")[0].values["returnees_new"]


def test_lock_setting_is_read_each_time(settings):
    settings.FANGKONG_REPORTS_LOCK_DAYS = 5
    assert services.is_locked(START, START + dt.timedelta(days=4)) is False
    assert services.is_locked(START, START + dt.timedelta(days=5)) is True
