"""The board and trends open on the template that applies to the user's units: a liaison on the
departments' report, a community on the communities', the office on the organ departments'."""

import datetime as dt

import pytest
from django.urls import reverse

from fangkong.core.actors import SYSTEM
from fangkong.reports.defaults import create_default_templates
from fangkong.reports.models import ReportTemplate
from fangkong.reports.selectors import templates_for
from tests import factories as f


@pytest.fixture
def defaults(city):
    return create_default_templates(actor=SYSTEM, start_date=dt.date(2020, 1, 27))


def _shown(body: str) -> str:
    """The code of the template the page shows (its option marked selected)."""
    for template in ReportTemplate.objects.all():
        if f'<option value="{template.pk}" selected>' in body:
            return template.code
    raise AssertionError("no template selected")


CASES = [
    ("unit_liaison", "dept_a", "organs-daily"),
    ("community_staff", "comm_1", "community-daily"),
    ("community_staff", "street", "community-daily"),
    ("checkpoint_staff", "checkpoint_1", "checkpoint-daily"),
    ("unit_liaison", "industry", "industry-daily"),
    ("committee_office", "root", "organs-daily"),
    ("inspection_group", "committee", "organs-daily"),
]


@pytest.mark.parametrize(("role", "scope", "code"), CASES)
def test_each_role_lands_on_the_template_of_its_units(city, defaults, as_user, role, scope, code):
    user = f.user(role, getattr(city, scope))
    client = as_user(user)
    for name in ("reports:board", "reports:trends"):
        body = client.get(reverse(name), {"day": "2020-02-25", "to": "2020-02-25"}).content.decode()
        assert _shown(body) == code, name
    board = client.get(reverse("reports:board"), {"day": "2020-02-25"}).content.decode()
    assert '<b id="fig-expected">0</b>' not in board


def test_only_templates_that_apply_are_offered(city, defaults, as_user):
    liaison = f.user("unit_liaison", city.dept_a)
    body = as_user(liaison).get(reverse("reports:board"), {"day": "2020-02-25"}).content.decode()
    assert "市直机关每日情况报告" in body and "卡点每日值守报告" not in body
    # Asked for by name, another line's template still opens (and is then offered).
    checkpoint = ReportTemplate.objects.get(code="checkpoint-daily")
    body = as_user(liaison).get(reverse("reports:board"), {"template": checkpoint.pk}).content.decode()
    assert _shown(body) == "checkpoint-daily"


def test_a_community_is_offered_its_own_then_its_checkpoints(city, defaults):
    user = f.user("community_staff", city.comm_1)
    ordered, applying = templates_for(user, list(ReportTemplate.objects.all()))
    assert [t.code for t in ordered[:applying]] == ["community-daily", "checkpoint-daily"]


def test_a_user_whose_units_report_nothing_gets_the_organs_line_first(city, defaults):
    secretary = f.user("branch_secretary", city.branch_a)
    ordered, applying = templates_for(secretary, list(ReportTemplate.objects.all()))
    assert applying == 0 and ordered[0].code == "organs-daily"


def test_the_office_opens_on_the_working_committee_without_a_second_list(city, defaults, as_user):
    office = f.user("committee_office", city.root)
    body = as_user(office).get(reverse("reports:board"), {"day": "2020-02-25"}).content.decode()
    # The city has one child holding departments: the board opens a level down, on the committee,
    # where the departments (and the coordinating body above the industry units) are listed.
    assert f'name="unit" value="{city.committee.pk}"' in body
    community = ReportTemplate.objects.get(code="community-daily")
    street = as_user(f.user("community_staff", city.street))
    body = street.get(reverse("reports:board"), {"template": community.pk, "day": "2020-02-25"}).content.decode()
    # The street's children are the communities that report: one list of them, no drill-down twice over.
    assert 'id="drill-down"' not in body and 'id="unit-states"' in body and "红旗社区" in body
    body = as_user(office).get(reverse("reports:board"), {"template": community.pk, "day": "2020-02-25",
                                                         "unit": city.root.pk}).content.decode()
    assert 'id="drill-down"' in body


def test_figures_of_another_scale_get_their_own_axis():
    from fangkong.reports.views import chart_values

    values = {"days": ["2020-02-01", "2020-02-02"], "series": [
        {"key": "fever", "label": "发热人数", "data": [0, 2]},
        {"key": "checked", "label": "今日登记人员", "data": [300, 420]},
        {"key": "duty", "label": "今日在岗人数", "data": [6, 7]},
    ]}
    out = chart_values(values)
    assert out["axes"] == 2
    assert [s["axis"] for s in out["series"]] == [0, 1, 0]
    assert "右轴" in out["series"][1]["label"] or "right axis" in out["series"][1]["label"]
    same = chart_values({"days": [], "series": [{"key": "a", "label": "a", "data": [3]},
                                                {"key": "b", "label": "b", "data": [9]}]})
    assert same["axes"] == 1 and [s["axis"] for s in same["series"]] == [0, 0]
