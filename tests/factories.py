"""Small builders for test data; everything goes through the services, as real use does."""

import itertools
import random

from fangkong.accounts.models import User, UserScope
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import check_digit, id_digest
from fangkong.orgs import services as org_services
from fangkong.orgs.models import Unit
from fangkong.people import services as people_services
from fangkong.people.models import Person

_seq = itertools.count(1)
_rng = random.Random(7)
PASSWORD = "Test-Pass-2020"


_id_seq = itertools.count(_rng.randint(0, 999))


def id_number(birth: str = "19850314", area: str = "220602") -> str:
    """A valid ID number not yet used by a person or a returnee (the sequence digits count up, so
    numbers drawn in one test never collide)."""
    from fangkong.returnees.models import Returnee

    while True:
        first17 = f"{area}{birth}{next(_id_seq) % 1000:03d}"
        number = first17 + check_digit(first17)
        key = id_digest(number)
        if not Person.objects.filter(id_digest=key).exists() and not Returnee.objects.filter(id_digest=key).exists():
            return number


def phone() -> str:
    return f"139{next(_seq):08d}"


def unit(kind: str, parent: Unit | None, name: str | None = None, **extra: object) -> Unit:
    n = next(_seq)
    return org_services.unit_create(
        actor=SYSTEM, code=f"U{n:05d}", name=name or f"{kind}-{n}", kind=kind, parent=parent, **extra
    )


def person(unit: Unit, name: str = "张三", **extra: object) -> Person:
    data: dict[str, object] = {"name": name, "id_number": id_number(), "phone": phone(), "unit": unit}
    data.update(extra)
    return people_services.person_create(actor=SYSTEM, **data)


def user(role: str, *units: Unit, username: str | None = None) -> User:
    u = User.objects.create_user(
        username=username or f"{role}{next(_seq)}", password=PASSWORD, role=role, full_name="测试用户"
    )
    for scope in units:
        UserScope.objects.create(user=u, unit=scope)
    return u
