"""The demo city's passes: a staff pass for every cadre seconded on 15 February, a few hundred
vehicle passes (吉F is Baishan's plate prefix), a few withdrawn, and two weeks of checks.

Everything but the signatures is drawn from a fixed seed; the signing key is generated afresh
(a key derived from a published seed would let anyone forge passes on a real installation).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from fangkong.orgs import demo_data as data
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from . import tokens
from .choices import CheckSource, Direction, PassKind, PassStatus, Verdict
from .keys import current_key
from .models import Pass, PassCheck, RevocationList
from .numbering import new_number
from .plates import validate_plate

SEED = 2020_0215
TZ = timezone.get_fixed_timezone(8 * 60)
PASS_DAY = dt.date(2020, 2, 15)
VALID_FROM = dt.datetime(2020, 2, 1, tzinfo=TZ)
VALID_UNTIL = dt.datetime(2020, 4, 1, tzinfo=TZ)
VEHICLES = 300
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
PURPOSES_VEHICLE = ["防疫物资运输", "生活物资保供", "下沉干部通勤", "医疗转运保障", "公务用车"]


def _plate(rng: random.Random) -> str:
    if rng.random() < 0.12:  # new-energy, small vehicle
        return "吉F" + rng.choice("DF") + rng.choice(PLATE_CHARS) + "".join(rng.choice("0123456789") for _ in range(4))
    return "吉F" + "".join(rng.choice(PLATE_CHARS) for _ in range(5))


def _name(rng: random.Random) -> str:
    given = data.GIVEN_MALE if rng.random() < 0.7 else data.GIVEN_FEMALE
    return rng.choice(data.SURNAMES) + rng.choice(given)


@transaction.atomic
def load_demo_passes(city: Any = None) -> dict[str, int]:
    from fangkong.deployment.models import Secondment
    from fangkong.deployment.selectors import active_on

    rng = random.Random(SEED)
    key, private = current_key()
    secondments = list(
        Secondment.objects.filter(active_on(PASS_DAY)).select_related("person", "department", "unit")
        .order_by("person_id", "-starts_on", "-id")
    )
    staff: list[tuple[Pass, list[int]]] = []
    seen: set[int] = set()
    for s in secondments:
        if s.person_id in seen:
            continue
        seen.add(s.person_id)
        p = Pass(
            number="", kind=PassKind.STAFF, person=s.person, unit=s.department, purpose="下沉社区防控",
            valid_from=VALID_FROM, valid_until=VALID_UNTIL, key=key,
        )
        staff.append((p, [s.unit_id] if s.unit_id else []))
    owners = list(Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT]).order_by("code"))
    zones_pool = list(Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.COMMUNITY]).order_by("code"))
    vehicles: list[tuple[Pass, list[int]]] = []
    plates: set[str] = set()
    while len(vehicles) < VEHICLES:
        plate = validate_plate(_plate(rng))
        if plate in plates:
            continue
        plates.add(plate)
        owner = rng.choice(owners)
        zones = [] if rng.random() < 0.6 else [z.pk for z in rng.sample(zones_pool, rng.randint(1, 2))]
        p = Pass(
            number="", kind=PassKind.VEHICLE, plate=plate, driver_name=_name(rng), owner_name=owner.name,
            unit=owner, purpose=rng.choice(PURPOSES_VEHICLE), valid_from=VALID_FROM, valid_until=VALID_UNTIL, key=key,
        )
        vehicles.append((p, zones))
    everything = staff + vehicles
    for i, (p, _zones) in enumerate(everything):
        p.number = f"tmp-{i}"
    Pass.objects.bulk_create([p for p, _ in everything], batch_size=500)
    saved = {p.number: p for p in Pass.objects.filter(number__startswith="tmp-").select_related("unit", "person")}
    through = Pass.zones.through
    links = []
    updates = []
    numbers: set[str] = set()
    for i, (_p, zones) in enumerate(everything):
        row = saved[f"tmp-{i}"]
        # Random numbers even in the demo (not from its seeded generator): a demo left running
        # must not hand out numbers anyone can work out from the source.
        row.number = new_number(row.kind)
        while row.number in numbers:
            row.number = new_number(row.kind)
        numbers.add(row.number)
        row.token = tokens.sign(tokens.PassClaims(
            key_id=key.key_id, pass_id=row.pk, kind=row.kind, holder=row.holder_display, unit_id=row.unit_id,
            unit_name=row.unit.display_name, valid_from=row.valid_from, valid_until=row.valid_until,
            zones=tuple(sorted(zones)),
        ), private)
        day = PASS_DAY - dt.timedelta(days=rng.randint(0, 12))
        row.issued_at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randrange(60)), tzinfo=TZ)
        updates.append(row)
        links += [through(pass_id=row.pk, unit_id=z) for z in zones]
    Pass.objects.bulk_update(updates, ["number", "token", "issued_at"], batch_size=500)
    through.objects.bulk_create(links, batch_size=1000)

    # A few withdrawn: cadres recalled to their departments, vehicles no longer in service.
    withdrawn = rng.sample(updates[: len(staff)], 6) + rng.sample(updates[len(staff) :], 4)
    for n, p in enumerate(withdrawn):
        p.status = PassStatus.REVOKED if n % 5 else PassStatus.SUSPENDED
        p.status_reason = "调回原单位" if p.kind == PassKind.STAFF else "车辆停用"
        p.status_changed_at = dt.datetime(2020, 2, 16 + n, 10, 0, tzinfo=TZ)
    Pass.objects.bulk_update(withdrawn, ["status", "status_reason", "status_changed_at"])
    RevocationList.objects.create(
        version=1,
        revoked=sorted(p.pk for p in withdrawn if p.status == PassStatus.REVOKED),
        suspended=sorted(p.pk for p in withdrawn if p.status == PassStatus.SUSPENDED),
    )

    checks = _checks(rng, updates, {p.pk for p in withdrawn}, {p.pk: z for p, (_, z) in zip(updates, everything, strict=True)})
    return {"passes": len(updates), "pass checks": checks}


def _checks(rng: random.Random, passes: list[Pass], withdrawn: set[int], zones_of: dict[int, list[int]]) -> int:
    from fangkong.accounts.models import User
    from fangkong.orgs.models import UnitLink

    checkpoints = list(Unit.objects.filter(kind=UnitKind.CHECKPOINT).order_by("code").values_list("id", flat=True))
    above: dict[int, set[int]] = {c: set() for c in checkpoints}
    for desc, anc in UnitLink.objects.filter(descendant_id__in=checkpoints).values_list("descendant_id", "ancestor_id"):
        above[desc].add(anc)
    guard = User.objects.filter(username="checkpoint").first()
    guard_cp = Unit.objects.filter(code="S1-C01-K1").values_list("id", flat=True).first()
    rows = []
    for day in range(10, 26):
        for _ in range(60):
            p = rng.choice(passes)
            cp = rng.choice(checkpoints)
            zones = zones_of[p.pk]
            if p.pk in withdrawn:
                verdict = Verdict.REVOKED if p.status == PassStatus.REVOKED else Verdict.SUSPENDED
            elif zones and not above[cp].intersection(zones):
                verdict = Verdict.WRONG_ZONE
            else:
                verdict = Verdict.VALID
            at = dt.datetime(2020, 2, day, rng.randint(6, 21), rng.randrange(60), tzinfo=TZ)
            rows.append(PassCheck(
                pass_obj_id=p.pk, pass_number=p.number, holder=p.holder_display, checkpoint_id=cp, verdict=verdict,
                direction=rng.choice(Direction.values), confirmed=True, checked_at=at,
                checked_by=guard if cp == guard_cp else None,
                source=CheckSource.PAGE if rng.random() < 0.8 else CheckSource.OFFLINE, list_version=1,
            ))
    PassCheck.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def resign_demo_passes() -> int:
    """Sign every pass again from its row, after the story was moved in time (``demo --live``):
    the validity is inside the signed token, so a moved pass verifies only once signed again."""
    key, private = current_key()
    zones: dict[int, list[int]] = {}
    for pass_id, unit_id in Pass.zones.through.objects.values_list("pass_id", "unit_id"):
        zones.setdefault(pass_id, []).append(unit_id)
    rows = list(Pass.objects.select_related("unit", "person").order_by("id"))
    for row in rows:
        row.key = key
        row.token = tokens.sign(tokens.PassClaims(
            key_id=key.key_id, pass_id=row.pk, kind=row.kind, holder=row.holder_display, unit_id=row.unit_id,
            unit_name=row.unit.display_name, valid_from=row.valid_from, valid_until=row.valid_until,
            zones=tuple(sorted(zones.get(row.pk, ()))),
        ), private)
    Pass.objects.bulk_update(rows, ["key", "token"], batch_size=500)
    return len(rows)
