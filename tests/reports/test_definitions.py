"""The definitions of docs/daily-reports.md: expected, submitted, on time, late, missing, and
rates that never pass 1 for any range or subtree."""

import datetime as dt

import pytest

from fangkong.core.actors import SYSTEM
from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.models import Unit
from fangkong.reports import selectors
from fangkong.reports.models import Report
from fangkong.reports.services import report_submit
from tests import factories as f

from .conftest import START, at

D1, D2, D3 = START, START + dt.timedelta(days=1), START + dt.timedelta(days=2)


def send(tmpl, unit, day, moment, zero=False):
    return report_submit(actor=SYSTEM, template=tmpl, unit=unit, day=day, values={} if zero else
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


# --- moving a unit -----------------------------------------------------------------------------

def rollup_rows():
    from fangkong.reports.models import ReportRollup

    return sorted(ReportRollup.objects.filter(submitted__gt=0).values_list(
        "template_id", "node_id", "day", "submitted", "zero", "on_time"))


def rebuilt_rows(templates):
    """The roll-up as a rebuild from the reports makes it, leaving the maintained one in place."""
    from django.db import transaction

    from fangkong.reports.services import rollup_rebuild

    class Rollback(Exception):
        pass

    rows = []
    try:
        with transaction.atomic():
            for template in templates:
                rollup_rebuild(template=template)
            rows = rollup_rows()
            raise Rollback
    except Rollback:
        pass
    return rows


def reference_figures(tmpl, start, end, under):
    """The definitions computed the slow way, in Python, from the tree as it stands now."""
    units = {u.pk: u for u in Unit.objects.all()}

    def below(unit_id):
        while unit_id is not None:
            if unit_id == under:
                return True
            unit_id = units[unit_id].parent_id
        return False

    def open_on(u, day):
        return (u.opened_on is None or u.opened_on <= day) and (u.closed_on is None or u.closed_on > day)

    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    pairs = {(u.pk, day) for u in units.values() if u.kind in tmpl.unit_kinds and below(u.pk)
             for day in days if tmpl.active_on(day) and open_on(u, day)}
    counted = [r for r in Report.objects.filter(template=tmpl) if (r.unit_id, r.day) in pairs]
    submitted = sum(r.in_day for r in counted)
    on_time = sum(r.on_time for r in counted)
    return {"expected": len(pairs), "submitted": submitted, "zero": sum(r.in_day and r.is_zero for r in counted),
            "on_time": on_time, "late": submitted - on_time, "missing": len(pairs) - submitted,
            "completeness": selectors.rate(submitted, len(pairs)), "timeliness": selectors.rate(on_time, len(pairs))}


def test_moving_an_industry_unit_moves_its_reports_to_the_new_coordinating_body(city, tmpl):
    """The case that was reported: one industry unit moved to another coordinating body left the
    old one at completeness 2.0 and missing −1."""
    from fangkong.orgs.services import unit_update

    second = f.unit(K.INDUSTRY_UNIT, city.cb, "白岭市燃气公司")
    other_cb = f.unit(K.COORDINATING_BODY, city.committee, "市金融办")
    for unit in (city.industry, second):
        send(tmpl, unit, D1, at(D1, 9))
    unit_update(actor=SYSTEM, unit=city.industry, parent=other_cb)
    old, new = selectors.figures(tmpl, D1, D1, city.cb.pk), selectors.figures(tmpl, D1, D1, other_cb.pk)
    assert (old["expected"], old["submitted"], old["missing"], old["completeness"]) == (1, 1, 0, 1.0)
    assert (new["expected"], new["submitted"], new["missing"], new["completeness"]) == (1, 1, 0, 1.0)
    assert selectors.figures(tmpl, D1, D1, city.committee.pk)["submitted"] == 2
    rows = {r["unit"].pk: r for r in selectors.child_figures(tmpl, D1, D1, city.committee)}
    assert rows[city.cb.pk]["submitted"] == rows[other_cb.pk]["submitted"] == 1
    assert rollup_rows() == rebuilt_rows([tmpl])


@pytest.mark.parametrize("under", ["root", "committee", "cb", "other_cb", "dept_a", "street"])
def test_it_never_passes_one_after_units_move(city, tmpl, under):
    """The property test above, with moves between the submissions: an industry unit changes
    coordinating body and back again, a department's party committee moves to the other department."""
    from fangkong.orgs.services import unit_update

    other_cb = f.unit(K.COORDINATING_BODY, city.committee, "市金融办")
    city.other_cb = other_cb
    for i, day in enumerate((D1, D2, D3)):
        send(tmpl, city.dept_a, day, at(day, 9))
        send(tmpl, city.industry, day, at(day, 20 - i), zero=True)
        unit_update(actor=SYSTEM, unit=city.industry, parent=other_cb if i % 2 == 0 else city.cb)
    unit_update(actor=SYSTEM, unit=city.branch_a.parent.parent, parent=city.dept_b)
    node = getattr(city, under).pk
    for start, end in ((D1, D1), (D1, D3), (D2, D3)):
        fig = selectors.figures(tmpl, start, end, node)
        assert fig == reference_figures(tmpl, start, end, node)
        assert 0 <= fig["completeness"] <= 1 and 0 <= fig["timeliness"] <= fig["completeness"]
        assert [r["completeness"] for r in selectors.day_series(tmpl, start, end, node)] == [
            reference_figures(tmpl, day, day, node)["completeness"]
            for day in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))]
    assert rollup_rows() == rebuilt_rows([tmpl])


def test_random_submissions_and_moves_keep_the_roll_up_equal_to_the_reports(city, tmpl):
    """Hypothesis draws submissions (unit, day, hour, zero) and moves of units between parents;
    after each sequence the maintained roll-up equals one rebuilt from the reports and every
    figure equals the definitions computed in Python."""
    from django.db import transaction
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from fangkong.orgs.services import unit_update

    second = f.unit(K.INDUSTRY_UNIT, city.cb, "白岭市燃气公司")
    other_cb = f.unit(K.COORDINATING_BODY, city.committee, "市金融办")
    reporters = [city.dept_a, city.dept_b, city.industry, second]
    moves = [(city.industry, city.cb), (city.industry, other_cb), (second, city.cb), (second, other_cb)]
    nodes = [city.root, city.committee, city.cb, other_cb, city.dept_a]
    submit = st.tuples(st.just("submit"), st.sampled_from(range(len(reporters))), st.sampled_from(range(3)),
                       st.sampled_from([9, 15, 17, 23]), st.booleans())
    move = st.tuples(st.just("move"), st.sampled_from(range(len(moves))))

    class Rollback(Exception):
        pass

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.one_of(submit, move), min_size=1, max_size=12))
    def run(steps):
        try:
            with transaction.atomic():
                for step in steps:
                    if step[0] == "submit":
                        _kind, who, day_index, hour, zero = step
                        day = START + dt.timedelta(days=day_index)
                        send(tmpl, Unit.objects.get(pk=reporters[who].pk), day, at(day, hour), zero=zero)
                    else:
                        unit, parent = moves[step[1]]
                        unit_update(actor=SYSTEM, unit=unit, parent=parent)
                assert rollup_rows() == rebuilt_rows([tmpl])
                for node in nodes:
                    for start, end in ((D1, D1), (D1, D3)):
                        assert selectors.figures(tmpl, start, end, node.pk) == reference_figures(tmpl, start, end, node.pk)
                raise Rollback
        except Rollback:
            pass

    run()


@pytest.mark.django_db(transaction=True)
def test_submissions_racing_a_move_keep_the_roll_up_right():
    """Submissions for units of a subtree while that subtree moves back and forth between two
    coordinating bodies: afterwards the roll-up equals a rebuild. PostgreSQL only (SQLite lets
    one writer in at a time)."""
    import threading

    from django.db import connection, connections

    from fangkong.orgs.services import unit_update
    from fangkong.reports.services import template_create

    from .conftest import FIELDS

    if connection.vendor != "postgresql":
        pytest.skip("the race needs concurrent writers (PostgreSQL)")
    root = f.unit(K.CITY, None, "白岭市")
    committee = f.unit(K.WORKING_COMMITTEE, root, "工委")
    bodies = [f.unit(K.COORDINATING_BODY, committee, name) for name in ("市工信局", "市金融办")]
    units = [f.unit(K.INDUSTRY_UNIT, bodies[0], f"企业{i}") for i in range(6)]
    tmpl = template_create(actor=SYSTEM, code="race", name="行业日报", line="industry",
                           unit_kinds=[K.INDUSTRY_UNIT], start_date=START, fields=[dict(x) for x in FIELDS])
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def submitter(offset):
        try:
            barrier.wait()
            for i in range(12):
                unit = units[(offset + i) % len(units)]
                day = START + dt.timedelta(days=i % 3)
                send(tmpl, Unit.objects.get(pk=unit.pk), day, at(day, 9 + i % 10), zero=bool(i % 2))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def mover():
        try:
            barrier.wait()
            for i in range(12):
                unit_update(actor=SYSTEM, unit=Unit.objects.get(pk=units[i % 3].pk), parent=bodies[(i // 3 + 1) % 2])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submitter, args=(n,)) for n in range(3)] + [threading.Thread(target=mover)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert rollup_rows() == rebuilt_rows([tmpl])
    for body in bodies:
        assert selectors.figures(tmpl, D1, D3, body.pk) == reference_figures(tmpl, D1, D3, body.pk)
