from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY = "city", _("City")
    WORKING_COMMITTEE = "working_committee", _("Working committee")
    DEPARTMENT = "department", _("Department")
    PARTY_COMMITTEE = "party_committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General branch")
    BRANCH = "branch", _("Party branch")
    COORDINATING_BODY = "coordinating_body", _("Coordinating body")
    INDUSTRY_UNIT = "industry_unit", _("Industry unit")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    CHECKPOINT = "checkpoint", _("Checkpoint")


K = UnitKind
# Which kinds may sit directly under which: the tree's grammar.
ALLOWED_PARENTS: dict[str, set[str]] = {
    K.CITY: set(),
    K.WORKING_COMMITTEE: {K.CITY},
    K.DEPARTMENT: {K.WORKING_COMMITTEE},
    K.COORDINATING_BODY: {K.WORKING_COMMITTEE},
    K.INDUSTRY_UNIT: {K.COORDINATING_BODY},
    K.PARTY_COMMITTEE: {K.WORKING_COMMITTEE, K.DEPARTMENT, K.COORDINATING_BODY, K.INDUSTRY_UNIT},
    K.GENERAL_BRANCH: {K.PARTY_COMMITTEE, K.DEPARTMENT, K.INDUSTRY_UNIT},
    K.BRANCH: {K.GENERAL_BRANCH, K.PARTY_COMMITTEE, K.DEPARTMENT, K.INDUSTRY_UNIT, K.COMMUNITY},
    K.STREET: {K.CITY},
    K.COMMUNITY: {K.STREET},
    K.CHECKPOINT: {K.COMMUNITY, K.STREET},
}
PARTY_KINDS = {K.PARTY_COMMITTEE, K.GENERAL_BRANCH, K.BRANCH}


class GroupKind(models.TextChoices):
    LEADING = "leading", _("Leading group")
    WORKING = "working", _("Working group")


class MemberRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    DEPUTY = "deputy", _("Deputy leader")
    MEMBER = "member", _("Member")
