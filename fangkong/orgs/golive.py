"""Going live: a city's own installation, started empty by ``fangkong init``.

``init_city`` makes the root of the tree (the city and its working committee) and the three
administrator accounts, each with a one-time password that is returned once (the command prints
it) and must be changed at the first login, where the administrator also enrols a second factor.
Everything else (the tree, people, accounts) comes from the city's own spreadsheets.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.actors import SYSTEM
from fangkong.core.models import SiteSetting

from .choices import UnitKind
from .models import Unit
from .services import unit_create

INITIALISED_KEY = "initialised"
COMMITTEE_CODE = "WC"
# (username, role, full name): the three separate administrator duties.
ADMINS: tuple[tuple[str, str, str], ...] = (
    ("admin", Role.SYSTEM_ADMIN, "系统管理员"),
    ("secadmin", Role.SECURITY_ADMIN, "安全管理员"),
    ("auditor", Role.AUDITOR, "安全审计员"),
)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    password: str


def is_initialised() -> bool:
    return SiteSetting.objects.filter(key=INITIALISED_KEY).exists()


@transaction.atomic
def init_city(*, city: str, code: str = "C0", committee: str = "") -> list[Login]:
    """Start an empty installation for ``city``; returns the administrators' one-time logins."""
    from fangkong.accounts.services import one_time_password, user_create

    if Unit.objects.exists() or User.objects.exists():
        raise ValidationError(_("The database is not empty: init only starts an empty installation."))
    city = city.strip()
    if not city:
        raise ValidationError(_("Give the city's name."))
    root = unit_create(actor=SYSTEM, code=code.strip() or "C0", name=city, kind=UnitKind.CITY, parent=None)
    unit_create(
        actor=SYSTEM, code=COMMITTEE_CODE, name=committee.strip() or f"中共{city}直属机关工作委员会",
        short_name="工委", kind=UnitKind.WORKING_COMMITTEE, parent=root,
    )
    logins = []
    for username, role, full_name in ADMINS:
        password = one_time_password()
        user_create(
            actor=SYSTEM, username=username, full_name=full_name, password=password, role=role,
            units=[root], one_time=True,
        )
        logins.append(Login(username, role, password))
    SiteSetting.objects.create(key=INITIALISED_KEY, value=city)
    audit_log(actor=SYSTEM, action=Action.CREATE, object_type="installation", object_repr=city,
              detail=f"code={root.code} admins={len(logins)}")
    return logins
