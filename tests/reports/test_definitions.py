"""The definitions of docs/daily-reports.md: expected, submitted, on time, late, missing, and
rates that never pass 1 for any range or subtree."""

import datetime as dt

import pytest

from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.models import Unit
from fangkong.reports import selectors
from fangkong.reports.models import Report
from fangkong.reports.services import report_submit
from tests import factories as f

from .conftest import START, at

D1, D2, D3 = START, START + dt.timedelta(days=1), START + dt.timedelta(days=2)


def send(tmpl, unit, day, moment, zero=False):
    return report_submit(actor=None, template=tmpl, unit=unit, day=day, values={} if zero else
                         {"returnees_new": 1, "in_isolation": 0}, zero=zero, at=moment)


def test_it_counts_expected_submitted_on_time_late_missing(city, tmpl):
    # Three reporting units: dept_a, dept_b, industry.
    send(tmpl, city.dept_a, D1, at(D1, 9))  # on time
    send(tmpl, city.dept_b, D1, at(D1, 17), zero=True)  # late zero report
    fig = selectors.figures(tmpl, D1, D1)
    assert fig == {"expected": 3, "submitted": 2, "zero": 1, "on_time": 1, "late": 1, "missing": 1,
                   "completeness": round(2 / 3, 4), "timeliness": round(1 / 3, 4)}


def test_it_counts_a_report_sent_after_the_day_as_missing(city, tmpl):
    send(tmpl, city.dept_a, D1, at(D2, 9))
    fig = selectors.figures(tmpl, D1, D1)
    assert fig["submitted"] == 0 and fig["missing"] == 3 and fig["late"] == 0
    assert Report.objects.get().in_day is False


def test_it_counts_units_only_on_their_open_days(city, tmpl):
    # Opened on D2 and closed from D3: expected on D2 only.
    new = f.unit(K.DEPARTMENT, city.committee, "新设局", opened_on=D2, closed_on=D3)
    assert selectors.expected_count(tmpl, D1, D3) == 3 * 3 + 1
    assert list(selectors.expected_units(template=tmpl, day=D2).filter(pk=new.pk)) == [new]
    assert not selectors.expected_units(template=tmpl, day=D3).filter(pk=new.pk).exists()
    # Days before the template starts are not expected.
    assert selectors.expected_count(tmpl, START - dt.timedelta(days=5), D1) == 3


def test_it_keeps_rates_at_most_one_when_a_unit_is_closed_afterwards(city, tmpl):
    for day in (D1, D2, D3):
        for unit in (city.dept_a, city.dept_b, city.industry):
            send(tmpl, unit, day, at(day, 9))
    # The unit is then closed with a date in the past: its reports of D2 and D3 fall outside its open days.
    Unit.objects.filter(pk=city.dept_b.pk).update(closed_on=D2)
    fig = selectors.figures(tmpl, D1, D3)
    assert fig["expected"] == 7 and fig["submitted"] == 7 and fig["completeness"] == 1.0


@pytest.mark.parametrize("under", ["root", "committee", "dept_a", "cb", "street", "branch_a"])
@pytest.mark.parametrize("span", [(0, 0), (0, 2), (1, 2)])
def test_it_never_passes_one_for_any_range_or_subtree(city, tmpl, under, span):
    for i, day in enumerate((D1, D2, D3)):
        send(tmpl, city.dept_a, day, at(day, 9))
        send(tmpl, city.industry, day, at(day, 20 - i), zero=True)
    start, end = START + dt.timedelta(days=span[0]), START + dt.timedelta(days=span[1])
    fig = selectors.figures(tmpl, start, end, getattr(city, under).pk)
    assert 0 <= fig["completeness"] <= 1 and 0 <= fig["timeliness"] <= fig["completeness"]
    assert fig["submitted"] + fig["missing"] == fig["expected"]
    assert fig["on_time"] + fig["late"] == fig["submitted"]


def test_it_lists_missing_units_at_a_moment(city, tmpl):
    send(tmpl, city.dept_a, D1, at(D1, 9))
    send(tmpl, city.industry, D1, at(D1, 15))
    assert set(selectors.missing_units(template=tmpl, day=D1, at=at(D1, 12))) == {city.dept_b, city.industry}
    assert set(selectors.missing_units(template=tmpl, day=D1, at=at(D1, 16))) == {city.dept_b}
    assert not selectors.missing_units(template=tmpl, day=START - dt.timedelta(days=1), at=at(D1)).exists()


def test_it_gives_drill_down_rows_that_add_up(city, tmpl):
    send(tmpl, city.dept_a, D1, at(D1, 9))
    send(tmpl, city.industry, D1, at(D1, 18), zero=True)
    rows = {r["unit"].pk: r for r in selectors.child_figures(tmpl, D1, D1, city.committee)}
    assert rows[city.dept_a.pk]["submitted"] == 1 and rows[city.dept_b.pk]["missing"] == 1
    assert rows[city.cb.pk]["late"] == 1 and rows[city.cb.pk]["zero"] == 1
    assert sum(r["expected"] for r in rows.values()) == selectors.figures(tmpl, D1, D1, city.committee.pk)["expected"]


def test_it_gives_a_daily_series(city, tmpl):
    send(tmpl, city.dept_a, D1, at(D1, 9))
    for unit in (city.dept_a, city.dept_b, city.industry):
        send(tmpl, unit, D2, at(D2, 9))
    series = selectors.day_series(tmpl, D1, D2)
    assert [r["completeness"] for r in series] == [round(1 / 3, 4), 1.0]
    values = selectors.value_series(tmpl, D1, D2)
    assert values["series"][0]["data"] == [1, 3]


def test_it_pages_the_drill_down_rows_in_order(city, tmpl):
    send(tmpl, city.dept_a, D1, at(D1, 9))
    every, total = selectors.child_page(tmpl, D1, D1, city.committee, limit=None)
    assert total == len(every) >= 3
    paged = [selectors.child_page(tmpl, D1, D1, city.committee, offset=i, limit=1) for i in range(total)]
    assert all(n == total and len(rows) == 1 for rows, n in paged)
    assert [rows[0]["unit"].pk for rows, _n in paged] == [r["unit"].pk for r in every]
    assert [(r["unit"].kind, r["unit"].code) for r in every] == sorted((r["unit"].kind, r["unit"].code) for r in every)
    assert selectors.child_page(tmpl, D1, D1, city.committee, offset=total, limit=1) == ([], total)
