"""Role × action matrix for the daily reports: each role sees the reports of its scope only,
submits only where its role and scope allow, and answers 404 outside."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from fangkong.core.actors import SYSTEM
from fangkong.core.scoping import user_has_perm
from fangkong.reports.models import Report
from fangkong.reports.services import report_submit
from tests import factories as f

from .conftest import START, at

# role, scope unit, units whose reports are visible, may submit for dept_a
MATRIX = [
    ("committee_office", "root", {"dept_a", "dept_b", "industry"}, True),
    ("unit_liaison", "dept_a", {"dept_a"}, True),
    ("unit_liaison", "dept_b", {"dept_b"}, False),
    ("branch_secretary", "dept_a", {"dept_a"}, False),
    ("community_staff", "comm_1", set(), False),
    ("checkpoint_staff", "checkpoint_1", set(), False),
    ("inspection_group", "root", {"dept_a", "dept_b", "industry"}, False),
    ("discipline_office", "root", {"dept_a", "dept_b", "industry"}, False),
    ("system_admin", "root", set(), False),
    ("security_admin", "root", set(), False),
    ("auditor", "root", set(), False),
]


@pytest.fixture(params=MATRIX, ids=[f"{r}@{s}" for r, s, *_ in MATRIX])
def case(request, city, tmpl, as_user):
    role, scope, visible, may_submit = request.param
    reports = {
        name: report_submit(actor=SYSTEM, template=tmpl, unit=getattr(city, name), day=START, zero=True, at=at(START))
        for name in ("dept_a", "dept_b", "industry")
    }
    user = f.user(role, getattr(city, scope))
    return user, as_user(user), visible, may_submit, reports


def test_it_shows_only_reports_in_scope(city, case):
    user, client, visible, _may, reports = case
    seen = set(Report.objects.visible_to(user).values_list("unit_id", flat=True))
    assert seen == {getattr(city, name).pk for name in visible}
    for name, report in reports.items():
        status = client.get(reverse("reports:report_detail", args=[report.pk])).status_code
        outside = 404 if user_has_perm(user, "reports.view") else 403
        assert status == (200 if name in visible else outside)


def test_it_lets_only_the_right_roles_submit(city, tmpl, case):
    user, _client, _visible, may_submit, _reports = case
    later = at(START, 11)
    if may_submit:
        report = report_submit(actor=user, template=tmpl, unit=city.dept_a, day=START,
                               values={"returnees_new": 1, "in_isolation": 0}, at=later)
        assert report.revision_count == 2
    else:
        with pytest.raises(PermissionDenied):
            report_submit(actor=user, template=tmpl, unit=city.dept_a, day=START,
                          values={"returnees_new": 1, "in_isolation": 0}, at=later)
        assert Report.objects.get(unit=city.dept_a).revision_count == 1


def test_the_admin_shows_templates_read_only(city, tmpl, as_user):
    """Templates change only through the services (versions, audit): the admin lists them but
    neither adds, changes nor deletes."""
    office = f.user("committee_office", city.root)
    office.is_staff = True
    office.save()
    client = as_user(office)
    listing = client.get("/admin/reports/reporttemplate/")
    assert listing.status_code == 200 and tmpl.name in listing.content.decode()
    assert client.get("/admin/reports/reporttemplate/add/").status_code == 403
    before = (tmpl.name, tmpl.version)
    client.post(f"/admin/reports/reporttemplate/{tmpl.pk}/change/", {"name": "改名"})
    tmpl.refresh_from_db()
    assert (tmpl.name, tmpl.version) == before
    assert client.post(f"/admin/reports/reporttemplate/{tmpl.pk}/delete/", {"post": "yes"}).status_code == 403
