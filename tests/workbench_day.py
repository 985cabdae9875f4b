"""The demo's story day with work still to do on it, for the workbench tests.

The demo city has finished its day (every unit reported, every follow-up taken, every cadre on
the shift checked in), so each function below reopens one piece of it the way a morning finds it:
a department that has not reported yet and has just registered a returnee, a resident's follow-up
not taken, a cadre not yet checked in.
"""

from __future__ import annotations

import datetime as dt

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.deployment.models import Assignment, Shift
from fangkong.orgs.models import Unit
from fangkong.reports.models import Report, ReportTemplate
from fangkong.reports.services import rollup_rebuild
from fangkong.returnees import services as returnee_services
from fangkong.returnees.models import FollowUp, IsolationOrder, Returnee
from fangkong.returnees.selectors import end_of_day
from tests import factories as f

DEPARTMENT = "市民政局"
COMMUNITY_CODE = "S1-C01"
CHECKPOINT_CODE = "S1-C01-K1"


def reopen_department_report() -> tuple[Unit, ReportTemplate]:
    """The liaison's department has not sent today's report yet."""
    department = Unit.objects.get(name=DEPARTMENT, kind="department")
    template = ReportTemplate.objects.get(code="organs-daily")
    Report.objects.filter(template=template, unit=department, day=clock.today()).delete()
    rollup_rebuild(template=template, start=clock.today(), end=clock.today())
    return department, template


def register_staff_returnee(department: Unit) -> Returnee:
    """The department registered one of its staff back today; the community has not yet."""
    community = Unit.objects.get(code=COMMUNITY_CODE)
    return returnee_services.register(
        actor=SYSTEM, side="unit", name="周晓岚", id_number=f.id_number(), unit=department, community=community,
        category="outside", return_date=clock.today(), registered_at=clock.now() - dt.timedelta(minutes=5),
    )


def reopen_follow_up() -> IsolationOrder:
    """One resident of the community in isolation has not had today's follow-up."""
    community = Unit.objects.get(code=COMMUNITY_CODE)
    today = clock.today()
    order = (IsolationOrder.objects.filter(returnee__community=community, start_date__lte=today,
                                           planned_end__gt=today, released_on__isnull=True)
             .order_by("id").first())
    assert order is not None, "the demo community has someone in isolation today"
    FollowUp.objects.filter(order=order, day=today).delete()
    return order


def reopen_check_in() -> Assignment:
    """A cadre of the checkpoint's current shift has not checked in yet."""
    checkpoint = Unit.objects.get(code=CHECKPOINT_CODE)
    now = clock.now()
    day_start = end_of_day(clock.today() - dt.timedelta(days=1))
    shift = (Shift.objects.filter(checkpoint=checkpoint, starts_at__gte=day_start,
                                  starts_at__lte=now + dt.timedelta(hours=1), ends_at__gt=now)
             .order_by("starts_at").first())
    assert shift is not None, "the demo rosters every hour of the story day"
    assignment = shift.assignments.order_by("id").first()
    assert assignment is not None
    Assignment.objects.filter(pk=assignment.pk).update(checked_in_at=None, checked_in_by="", checked_out_at=None,
                                                      checked_out_by="")
    return assignment
