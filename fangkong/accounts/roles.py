"""Roles and what each may do. Scope (which units) is separate: see fangkong.core.scoping.

System admin, security admin and auditor are three separate duties: the system admin runs the
organisation tree and user accounts, the security admin grants roles and scopes and unlocks
accounts, the auditor reads the audit log. None of the three sees people's personal data.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDITOR = "auditor", _("Security auditor")
    COMMITTEE_OFFICE = "committee_office", _("Committee office")
    UNIT_LIAISON = "unit_liaison", _("Unit liaison")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    COMMUNITY_STAFF = "community_staff", _("Street/community staff")
    CHECKPOINT_STAFF = "checkpoint_staff", _("Checkpoint staff")
    INSPECTION_GROUP = "inspection_group", _("Inspection group")
    DISCIPLINE_OFFICE = "discipline_office", _("Discipline office")
    LEADER = "leader", _("Committee leader")


R = Role
ADMIN_ROLES = frozenset({R.SYSTEM_ADMIN, R.SECURITY_ADMIN, R.AUDITOR})
"""Roles that must pass a TOTP second factor."""

_DOMAIN = {
    R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.BRANCH_SECRETARY, R.COMMUNITY_STAFF,
    R.CHECKPOINT_STAFF, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE,
}
# The committee's leaders read, sign off documents and give instructions; they enter no records.
# They read every list the committee office reads (every figure of the command picture links to
# the records it counts, for them too), with personal numbers masked (no reveal).
_LEADERS = {R.LEADER}
_READERS = _DOMAIN | _LEADERS

PERMISSIONS: dict[str, frozenset[str]] = {
    # the organisation tree
    "orgs.view": frozenset(_READERS | {R.SYSTEM_ADMIN, R.SECURITY_ADMIN}),
    "orgs.change": frozenset({R.SYSTEM_ADMIN, R.COMMITTEE_OFFICE}),
    # people (staff and cadres)
    "people.view": frozenset(_READERS),
    "people.change": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.COMMUNITY_STAFF}),
    "people.reveal": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.COMMUNITY_STAFF, R.DISCIPLINE_OFFICE}),
    "people.export": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE}),
    # the returnee ledger
    "returnees.view": frozenset(_READERS - {R.CHECKPOINT_STAFF}),
    "returnees.change": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.COMMUNITY_STAFF}),
    "returnees.reveal": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.COMMUNITY_STAFF, R.DISCIPLINE_OFFICE}),
    "returnees.export": frozenset(
        {R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.COMMUNITY_STAFF, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE}
    ),
    "returnees.followup": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF}),
    "returnees.isolation": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF}),
    "returnees.merge": frozenset({R.COMMITTEE_OFFICE}),
    # attribution conflicts (归属争议): who decides where a person claimed by two units belongs
    "returnees.resolve": frozenset({R.COMMITTEE_OFFICE}),
    # thousand cadres down: secondments, checkpoint rosters, the report sent up
    "deployment.view": frozenset(_READERS),
    "deployment.change": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON}),
    "deployment.roster": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF}),
    "deployment.checkin": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF}),
    # the report sent up, and the no-shows a street or community commands
    "deployment.export": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE}),
    # staff and vehicle passes: the office issues and revokes, checkpoints verify
    "passes.view": frozenset(_READERS - {R.CHECKPOINT_STAFF}),
    "passes.change": frozenset({R.COMMITTEE_OFFICE}),
    "passes.verify": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF}),
    # daily reports (日报告/零报告): templates, submissions, concealment review, corrections
    "reports.view": frozenset(_READERS),
    "reports.submit": frozenset({R.UNIT_LIAISON, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF, R.COMMITTEE_OFFICE}),
    "reports.change": frozenset({R.COMMITTEE_OFFICE}),
    "reports.review": frozenset({R.COMMITTEE_OFFICE}),
    "reports.correct": frozenset({R.COMMITTEE_OFFICE}),
    # the board and trends as xlsx: every role that reads them for units below it
    "reports.export": frozenset(_READERS - {R.CHECKPOINT_STAFF}),
    "reports.remind": frozenset({R.COMMITTEE_OFFICE, R.BRANCH_SECRETARY, R.COMMUNITY_STAFF}),
    # notifications: channels per unit, the failed-delivery page
    "notify.view": frozenset(_DOMAIN - {R.CHECKPOINT_STAFF}),
    "notify.change": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON}),
    # the command picture (指挥调度) and its daily briefing; each line's panel also needs its app's view
    "command.view": frozenset(_DOMAIN | _LEADERS),
    "command.change": frozenset({R.COMMITTEE_OFFICE}),
    # community supervision (社区督查): feedback ledger, problems, cases, referrals. Who sees which
    # case is decided by supervision.access (inspectors their groups', discipline what was referred
    # to it, the unit concerned only the requests addressed to it).
    "supervision.view": frozenset({R.COMMITTEE_OFFICE, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE, R.COMMUNITY_STAFF,
                                   R.UNIT_LIAISON, R.BRANCH_SECRETARY} | _LEADERS),
    "supervision.feedback": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF}),
    "supervision.change": frozenset({R.COMMITTEE_OFFICE, R.INSPECTION_GROUP}),
    "supervision.answer": frozenset({R.UNIT_LIAISON, R.BRANCH_SECRETARY}),
    "supervision.outcome": frozenset({R.COMMITTEE_OFFICE, R.DISCIPLINE_OFFICE}),
    "supervision.bulletin": frozenset({R.COMMITTEE_OFFICE, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE} | _LEADERS),
    "supervision.export": frozenset({R.COMMITTEE_OFFICE, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE}),
    # reports and instructions (报告与批示): the office drafts, reviews, issues and follows up;
    # a leader signs off; units sign for what reaches them, reply and answer their items
    "documents.view": frozenset(_DOMAIN - {R.CHECKPOINT_STAFF} | _LEADERS),
    "documents.change": frozenset({R.COMMITTEE_OFFICE}),
    "documents.signoff": frozenset(_LEADERS),
    "documents.instruct": frozenset({R.COMMITTEE_OFFICE} | _LEADERS),
    "documents.receive": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.BRANCH_SECRETARY, R.COMMUNITY_STAFF}),
    "documents.export": frozenset(_DOMAIN - {R.CHECKPOINT_STAFF} | _LEADERS),
    # livelihood (民生保障): the catalogue of window services and channels, daily volumes per
    # channel (the window departments' liaisons), help requests for households at home
    "livelihood.view": frozenset(_READERS),
    "livelihood.change": frozenset({R.COMMITTEE_OFFICE}),
    "livelihood.report": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON}),
    "livelihood.help": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF}),
    "livelihood.done": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF}),
    # the household's phone in clear, for who calls them (audited)
    "livelihood.reveal": frozenset({R.COMMITTEE_OFFICE, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF}),
    # publicity (宣传引导) and the campaign (三看四比五带头): materials, media pushes, official
    # forwards, pledges, model deeds, checklists; the committee reviews deeds and sets the formula
    "publicity.view": frozenset(_READERS),
    "publicity.change": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.BRANCH_SECRETARY}),
    "publicity.sign": frozenset(_DOMAIN),
    "publicity.review": frozenset({R.COMMITTEE_OFFICE}),
    "publicity.export": frozenset(_READERS - {R.CHECKPOINT_STAFF}),
    # the donations line (物资捐赠): the committee office is the materials group (物资筹备组); the
    # units at the front line raise needs and sign for what they receive
    "donations.view": frozenset(_READERS),
    "donations.change": frozenset({R.COMMITTEE_OFFICE}),
    "donations.approve": frozenset({R.COMMITTEE_OFFICE}),
    "donations.need": frozenset({R.COMMITTEE_OFFICE, R.UNIT_LIAISON, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF}),
    "donations.sign": frozenset({R.UNIT_LIAISON, R.COMMUNITY_STAFF, R.CHECKPOINT_STAFF}),
    "donations.export": frozenset({R.COMMITTEE_OFFICE, R.INSPECTION_GROUP, R.DISCIPLINE_OFFICE}),
    # accounts
    "accounts.view": frozenset({R.SYSTEM_ADMIN, R.SECURITY_ADMIN}),
    "accounts.change": frozenset({R.SYSTEM_ADMIN}),
    "accounts.grant": frozenset({R.SECURITY_ADMIN}),
    # the audit log
    "audit.view": frozenset({R.AUDITOR}),
}

# A role may only grant roles at or below its own rank; only the security admin grants at all.
RANK: dict[str, int] = {
    R.SECURITY_ADMIN: 100, R.SYSTEM_ADMIN: 100, R.AUDITOR: 100,
    R.LEADER: 60, R.COMMITTEE_OFFICE: 50, R.DISCIPLINE_OFFICE: 50, R.INSPECTION_GROUP: 40,
    R.UNIT_LIAISON: 20, R.BRANCH_SECRETARY: 20, R.COMMUNITY_STAFF: 20, R.CHECKPOINT_STAFF: 10,
}


def role_has_perm(role: str, perm: str) -> bool:
    return role in PERMISSIONS.get(perm, frozenset())
