"""Who sees what on the supervision line: one function, ``visible_q``, used by every model's
``visible_to`` (pages, API, exports, admin).

- the office, and the committee's leaders: everything in their scope (the whole city for the
  committee's office);
- inspectors (inspection group): the groups they are members of: those groups' communities'
  feedback and coverage, and their cases, problems, requests, answers, referrals;
- the discipline office: only the cases referred to discipline, their problems, requests,
  answers and evidence, and the referrals to discipline;
- community staff: their communities' feedback and coverage, and the problems raised from it;
- the unit concerned (any other role): only the explanation requests addressed to a unit in its
  scope and the answers to them; never a problem, so never an unannounced visit's source or who
  reported it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from fangkong.accounts.roles import Role
from fangkong.core.actors import SystemActor
from fangkong.core.scoping import scope_unit_ids, user_has_perm

NOTHING = Q(pk__in=[])
DISCIPLINE = "discipline"


def _in(units: list[int] | None, *fields: str) -> Q:
    if units is None:
        return Q()
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__in": units})
    return query


def member_groups(user: Any) -> Any:
    """The supervision groups the user's person belongs to (a sub-select)."""
    from fangkong.orgs.models import GroupMember

    return GroupMember.objects.filter(person_id=getattr(user, "person_id", None) or 0).values("group_id")


def discipline_cases() -> Any:
    from .models import Referral

    return Referral.objects.filter(body__code=DISCIPLINE).values("case_id")


def visible_q(model: type[Model], user: Any) -> Q | None:
    """The rows of ``model`` the user may see, or None for none at all."""
    from . import models as m

    if model is m.Bulletin:
        return Q() if user_has_perm(user, "supervision.bulletin") else None
    if not user_has_perm(user, "supervision.view"):
        return None
    if isinstance(user, SystemActor):
        return Q()
    role = getattr(user, "role", "")
    units = scope_unit_ids(user)
    groups = member_groups(user)
    if model is m.Evidence:
        return (Q(problem__in=m.Problem.objects.visible_to(user).values("id"))
                | Q(feedback__in=m.Feedback.objects.visible_to(user).values("id"))
                | Q(answer__in=m.ExplanationAnswer.objects.visible_to(user).values("id")))
    if role in (Role.COMMITTEE_OFFICE, Role.LEADER):
        fields = {
            m.Coverage: ("community",), m.Feedback: ("community", "department"), m.BulletinImport: ("scope_unit",),
            m.Investigation: ("unit",), m.Problem: ("unit", "community"), m.ExplanationRequest: ("unit",),
            m.ExplanationAnswer: ("request__unit",), m.Referral: ("case__unit",),
        }[model]
        return _in(units, *fields)
    if role == Role.INSPECTION_GROUP:
        covered = m.Coverage.objects.filter(group__in=groups).values("community_id")
        return {
            m.Coverage: Q(group__in=groups),
            m.Feedback: Q(community__in=covered),
            m.BulletinImport: Q(uploaded_by=user),
            m.Investigation: Q(group__in=groups),
            m.Problem: Q(group__in=groups),
            m.ExplanationRequest: Q(case__group__in=groups),
            m.ExplanationAnswer: Q(request__case__group__in=groups),
            m.Referral: Q(case__group__in=groups),
        }[model]
    if role == Role.DISCIPLINE_OFFICE:
        cases = discipline_cases()
        return {
            m.Investigation: Q(pk__in=cases),
            m.Problem: Q(case__in=cases),
            m.ExplanationRequest: Q(case__in=cases),
            m.ExplanationAnswer: Q(request__case__in=cases),
            m.Referral: Q(body__code=DISCIPLINE),
        }.get(model, NOTHING)
    if role == Role.COMMUNITY_STAFF:
        if model in (m.Coverage, m.Feedback):
            return _in(units, "community")
        if model is m.Problem:
            return _in(units, "community") & Q(source="feedback", unannounced=False)
    # The unit concerned: the requests addressed to it and its answers, nothing else.
    if model is m.ExplanationRequest:
        return _in(units, "unit")
    if model is m.ExplanationAnswer:
        return _in(units, "request__unit")
    return NOTHING
