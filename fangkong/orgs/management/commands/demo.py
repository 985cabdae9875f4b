"""``fangkong demo``: load the fictional city 白岭市, the same data on every run.

The city is shaped like the source: a working committee over 100 departments (each with its party
committee, general branches and branches), 4 coordinating bodies over 67 industry units, 7 streets,
26 communities and 99 checkpoints, about 1,000 cadres and 500 other staff, department–community
pairings, the leading group and two working groups, and one login for every role.

Everything is drawn from ``random.Random(2020)`` in a fixed order, and ``--reset`` also resets the
id sequences, so codes, names, ID numbers and even primary keys come out identical every time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from fangkong.accounts.models import User, UserScope
from fangkong.accounts.roles import Role
from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import check_digit
from fangkong.core.models import SiteSetting
from fangkong.orgs import demo_data as data
from fangkong.orgs.choices import GroupKind, MemberRole, UnitKind
from fangkong.orgs.models import GroupMember, Pairing, Unit, WorkingGroup
from fangkong.orgs.services import unit_create
from fangkong.people.choices import Position
from fangkong.people.models import Person
from fangkong.people.services import person_create

DEMO_PASSWORD = "Fangkong@2020"
OPENED_ON = dt.date(2019, 1, 1)
PAIRED_SINCE = dt.date(2020, 1, 28)
STORY_DATE = "2020-02-25"  # the date of the source report; pages open on it
# The platform "went live" when the city's response began, so "as of" figures in the story
# (e.g. users as of 10 Feb) count the demo accounts.
ACCOUNTS_OPENED = dt.datetime(2020, 1, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = 2020
NUMERALS = "一二三四五六七八九十"

# (username, role, scope unit code). The person behind each login is chosen by _demo_user_people.
DEMO_USERS: list[tuple[str, str, str]] = [
    ("admin", Role.SYSTEM_ADMIN, "C0"),
    ("secadmin", Role.SECURITY_ADMIN, "C0"),
    ("auditor", Role.AUDITOR, "C0"),
    ("office", Role.COMMITTEE_OFFICE, "C0"),
    ("liaison", Role.UNIT_LIAISON, data.DEMO_DEPARTMENT_CODE),
    ("secretary", Role.BRANCH_SECRETARY, f"{data.DEMO_DEPARTMENT_CODE}-G1-B1"),
    ("community", Role.COMMUNITY_STAFF, "S1-C01"),
    ("street", Role.COMMUNITY_STAFF, "S2"),
    ("checkpoint", Role.CHECKPOINT_STAFF, "S1-C01-K1"),
    ("inspector", Role.INSPECTION_GROUP, "WC"),
    ("discipline", Role.DISCIPLINE_OFFICE, "C0"),
    ("leader", Role.LEADER, "C0"),  # the committee's leader commands the whole city's work
]
# The three administrator duties are not people of the tree; they get descriptive names.
ADMIN_NAMES = {"admin": "系统管理员", "secadmin": "安全管理员", "auditor": "安全审计员"}


class Command(BaseCommand):
    help = (
        "Load the demo city 白岭市 (deterministic: the same data every run). Does nothing when data "
        "already exists unless --reset is given; --reset refuses a database holding more than the demo's data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true",
            help="Delete ALL existing data (units, people, users, audit log, sessions) before loading.",
        )
        parser.add_argument(
            "--logins", action="store_true", help="Only print the table of demo logins and exit.",
        )
        parser.add_argument(
            "--live", action="store_true",
            help=f"Move the whole story so that its last day ({STORY_DATE}) is the last real day whose evening "
                 "(22:00) has come (today late in the evening, else yesterday), and run on the real calendar "
                 "(no frozen business day).",
        )
        parser.add_argument(
            "--i-know-this-is-not-production", action="store_true", dest="not_production",
            help="Let --reset delete a database that holds more than the demo data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["logins"]:
            print_logins(self.stdout)
            return
        # Users count as existing data too: a fresh install with a hand-made "admin" would
        # otherwise collide with the demo's usernames halfway through the load.
        if not options["reset"] and (Unit.objects.exists() or User.objects.exists()):
            self.stdout.write(
                "Data already exists; nothing loaded. Run `fangkong demo --reset` to replace everything "
                "with the demo data."
            )
            return
        if options["reset"] and not options["not_production"]:
            problem = not_demo_data()
            if problem:
                raise CommandError(
                    f"Refusing --reset: {problem}. It would delete everything, the audit log included. "
                    "If this database really is not production, add --i-know-this-is-not-production."
                )
        started = time.monotonic()
        with transaction.atomic():
            if options["reset"]:
                wipe_all_data()
            counts = DemoCity(seed=SEED).load(live=options["live"])
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo city {data.CITY_NAME} loaded in {elapsed:.1f} s."))
        day = clock.frozen_day()
        if day is None:
            from fangkong.reports.models import Report

            last = Report.objects.order_by("-day").values_list("day", flat=True).first()
            self.stdout.write(f"The story is moved to the real calendar (today {clock.today().isoformat()}): its last "
                              f"day ({STORY_DATE}) is {last.isoformat() if last else '-'}.")
        else:
            self.stdout.write(f"The business day is frozen on the story's day {day.isoformat()}, from its evening "
                              "(22:00, the clock running on); `fangkong demo --reset --live` runs the story on the "
                              "real calendar instead.")
        width = max(len(label) for label in counts)
        for label, value in counts.items():
            self.stdout.write(f"  {label:<{width}}  {value:>5}")  # labels are ASCII: len() is the width
        self.stdout.write("")
        print_logins(self.stdout)


def not_demo_data() -> str:
    """Why the database may hold more than the demo city ("" when it holds only the demo's data,
    or nothing at all). The demo's load leaves one audit entry with its counts; the units, people
    and accounts must still number exactly those, and every account must be a demo login."""
    from fangkong.audit.models import AuditEntry

    if not (Unit.objects.exists() or User.objects.exists() or Person.objects.exists()):
        return ""
    marker = AuditEntry.objects.filter(object_type="demo").order_by("-id").first()
    if marker is None:
        return "this database was not loaded by `fangkong demo`"
    loaded = dict(part.split("=", 1) for part in marker.detail.split() if "=" in part)
    now = {"units": Unit.objects.count(), "people": Person.objects.count(), "users": User.objects.count()}
    changed = [f"{name} {loaded.get(name)} → {count}" for name, count in now.items() if str(count) != loaded.get(name)]
    if changed:
        return "records were added or removed since the demo was loaded (" + ", ".join(changed) + ")"
    demo_logins = {username for username, _role, _scope in DEMO_USERS}
    others = sorted(set(User.objects.values_list("username", flat=True)) - demo_logins)
    if others:
        return "it holds accounts the demo did not create (" + ", ".join(others[:5]) + ")"
    return ""


def wipe_all_data() -> None:
    """Empty every table of the platform's own apps, the sessions, and whatever references them.

    Audit entries cannot be deleted through the ORM (append-only) and PROTECT foreign keys would
    make ORM deletes order-sensitive, so this uses the database's flush SQL (what ``manage.py
    flush`` runs): DELETE on SQLite, whose foreign keys are deferred to the commit, and
    TRUNCATE … CASCADE on PostgreSQL. The audit trigger only refuses UPDATE, so both pass.
    ``allow_cascade`` also empties third-party tables pointing at users (admin log, TOTP devices),
    and sessions go too because the reset id sequences would otherwise hand an old session's user
    id to a new user. Site settings survive: they describe the installation, not the data.
    """
    models: list[type[Model]] = [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("fangkong.")
        for model in config.get_models(include_auto_created=True)
        if model is not SiteSetting and model._meta.managed and not model._meta.proxy
    ]
    models.append(Session)
    tables = sorted({model._meta.db_table for model in models})
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    if connection.vendor == "postgresql":
        # Writes earlier in the same transaction leave deferred foreign-key checks pending, and
        # PostgreSQL refuses TRUNCATE while they are: run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(sql)


def _numeral(n: int) -> str:
    return NUMERALS[n - 1] if 1 <= n <= len(NUMERALS) else str(n)


def _title_by_suffix(name: str, table: Iterable[tuple[str, ...]], default: tuple[str, ...]) -> tuple[str, ...]:
    for suffix, *titles in table:
        if name.endswith(suffix):
            return tuple(titles)
    return default


class DemoCity:
    """Builds the demo city. One instance, one load: the random draws happen in a fixed order."""

    def __init__(self, *, seed: int) -> None:
        self.rng = random.Random(seed)
        self.units: dict[str, Unit] = {}
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.names: set[str] = set()
        self.liaisons: dict[str, Person] = {}
        self.committee_staff: list[Person] = []
        self.people = 0

    # -- drawing synthetic people ------------------------------------------------------------

    def _id_number(self, sex: str, born: tuple[int, int]) -> str:
        start = dt.date(born[0], 1, 1)
        days = (dt.date(born[1], 12, 31) - start).days
        while True:
            area = self.rng.choice(data.ID_AREA_CODES)
            birth = start + dt.timedelta(days=self.rng.randrange(days + 1))
            # The order code's last digit is odd for men and even for women (GB 11643).
            order = self.rng.randrange(1, 500) * 2 + (1 if sex == "M" else 0)
            first17 = f"{area}{birth:%Y%m%d}{order:03d}"
            number = first17 + check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def _phone(self) -> str:
        while True:
            phone = self.rng.choice(data.PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _name(self, sex: str) -> str:
        given = data.GIVEN_MALE if sex == "M" else data.GIVEN_FEMALE
        # A few retries keep names mostly unique, which makes the demo easier to search and read.
        for _attempt in range(20):
            name = self.rng.choice(data.SURNAMES) + self.rng.choice(given)
            if name not in self.names:
                break
        self.names.add(name)
        return name

    def person(
        self, unit: Unit, *, title: str, position: str = Position.STAFF, cadre: bool = False,
        party_branch: Unit | None = None, born: tuple[int, int] = (1965, 1998), male_share: float = 0.55,
    ) -> Person:
        sex = "M" if self.rng.random() < male_share else "F"
        person = person_create(
            actor=SYSTEM, audit=False,
            name=self._name(sex), id_number=self._id_number(sex, born), phone=self._phone(),
            unit=unit, position=position, title=title, is_cadre=cadre,
            is_party_member=party_branch is not None, branch=party_branch,
        )
        self.people += 1
        return person

    # -- units ------------------------------------------------------------------------------

    def unit(self, code: str, name: str, kind: str, parent: Unit | None, short_name: str = "") -> Unit:
        unit = unit_create(
            actor=SYSTEM, code=code, name=name, kind=kind, parent=parent, short_name=short_name,
            opened_on=OPENED_ON, audit=False,
        )
        self.units[code] = unit
        return unit

    # -- the load ---------------------------------------------------------------------------

    def load(self, *, live: bool = False) -> dict[str, int]:
        """Load the story. It runs on the real clock, then the business day is frozen on its last
        day; ``live``: the story is moved instead so that its last day is the last real day whose evening
        has come (no frozen day)."""
        started = clock.real_now()
        clock.unfreeze()
        city = self.unit("C0", data.CITY_NAME, UnitKind.CITY, None)
        committee = self.unit(
            "WC", data.COMMITTEE_NAME, UnitKind.WORKING_COMMITTEE, city, short_name=data.COMMITTEE_SHORT
        )
        self._committee(committee)
        departments = [
            self._department(f"D{i:03d}", name, short, committee)
            for i, (name, short) in enumerate(data.DEPARTMENTS, start=1)
        ]
        self._industry(committee)
        communities = self._territory(city)
        self._set_liaisons()
        self._pairings(departments, communities)
        self._groups(committee)
        users = self._users()
        from fangkong.returnees.demo import load_demo_ledger

        ledger = load_demo_ledger(self)
        from fangkong.deployment.demo import load_demo_deployment

        ledger.update(load_demo_deployment(self))
        from fangkong.passes.demo import load_demo_passes

        ledger.update(load_demo_passes(self))
        from fangkong.reports.demo import load_demo_reports

        ledger.update(load_demo_reports(self))
        from fangkong.supervision.demo import load_demo_supervision

        ledger.update(load_demo_supervision(self))

        from fangkong.documents.demo import load_demo_documents

        ledger.update(load_demo_documents(self))
        from fangkong.livelihood.demo import load_demo_livelihood

        ledger.update(load_demo_livelihood(self))
        from fangkong.publicity.demo import load_demo_publicity

        ledger.update(load_demo_publicity(self))
        from fangkong.donations.demo import load_demo_donations

        ledger.update(load_demo_donations(self))
        days = 0
        if live:
            days = self._move_to_today(started)
        from fangkong.notify.demo import load_demo_notifications

        # The reminders run after any move: their texts and occasions name the days they concern.
        ledger.update(load_demo_notifications(days=days))
        if not live:
            # From the story's evening: every record of the story day lies before the clock,
            # whatever the real hour the demo is loaded or used at.
            clock.freeze(dt.date.fromisoformat(STORY_DATE), since=clock.STORY_EVENING)
        counts = {**self.counts(), **ledger}
        # One line in the audit log says where all these records came from (they were created
        # with audit=False to keep the load fast).
        audit_log(
            actor=SYSTEM, action=Action.CREATE, object_type="demo", object_repr=f"演示数据：{data.CITY_NAME}",
            detail=f"units={counts['units']} people={counts['people']} users={users}",
        )
        return counts

    def _move_to_today(self, started: dt.datetime) -> int:
        """Move every business date and moment of the story so that its last day is the last real day
        whose evening has come (today from 22:00, ``clock.STORY_EVENING``; yesterday before): the
        story's records of that day then all lie in the past. Sign the passes again (their
        validity is in the signed token). Returns the days."""
        from fangkong.core.timeshift import shift_json, shift_story
        from fangkong.passes.demo import resign_demo_passes

        local = timezone.localtime(started)
        days = (local.date() - dt.date.fromisoformat(STORY_DATE)).days - (local.time() < clock.STORY_EVENING)
        shift_story(days=days, before=started)
        shift_json(days=days)
        resign_demo_passes()
        return days

    def _committee(self, committee: Unit) -> None:
        party = self.unit("WC-P", "市直机关工委机关党委", UnitKind.PARTY_COMMITTEE, committee)
        branch = self.unit("WC-P-B1", "市直机关工委机关党支部", UnitKind.BRANCH, party)
        for title, position in data.COMMITTEE_STAFF:
            born = (1965, 1975) if position != Position.STAFF else (1970, 1995)
            self.committee_staff.append(
                self.person(committee, title=title, position=position, cadre=True, party_branch=branch, born=born)
            )
        self.liaisons["WC"] = self.committee_staff[4]  # 办公室主任

    def _department(self, code: str, name: str, short: str, committee: Unit) -> Unit:
        label = short or name
        department = self.unit(code, name, UnitKind.DEPARTMENT, committee, short_name=short)
        party = self.unit(f"{code}-P", f"{label}机关党委", UnitKind.PARTY_COMMITTEE, department)
        branches: list[Unit] = []
        for g in range(1, self.rng.randint(1, 2) + 1):
            general = self.unit(
                f"{code}-G{g}", f"{label}机关第{_numeral(g)}党总支", UnitKind.GENERAL_BRANCH, party
            )
            for b in range(1, self.rng.randint(2, 3) + 1):
                branches.append(
                    self.unit(
                        f"{code}-G{g}-B{b}", f"{label}机关第{_numeral(len(branches) + 1)}党支部",
                        UnitKind.BRANCH, general,
                    )
                )
        head_title, deputy_title = _title_by_suffix(name, data.HEAD_TITLES, data.DEFAULT_HEAD_TITLES)
        # The head and deputies are always party members; most staff cadres are too. Members are
        # dealt to the branches in turn (head to the first, deputies to the next ones) so that no
        # branch is left empty and the leaders are spread over the branches.
        next_branch = itertools.cycle(branches).__next__
        self.person(
            department, title=head_title, position=Position.HEAD, cadre=True,
            party_branch=next_branch(), born=(1965, 1972), male_share=0.8,
        )
        for _ in range(self.rng.randint(1, 3)):
            self.person(
                department, title=deputy_title, position=Position.DEPUTY, cadre=True,
                party_branch=next_branch(), born=(1966, 1980), male_share=0.7,
            )
        for i in range(self.rng.randint(6, 9)):
            title = "办公室主任" if i == 0 else self.rng.choice(data.STAFF_TITLES)
            in_party = i == 0 or self.rng.random() < 0.85
            person = self.person(
                department, title=title, cadre=True,
                party_branch=next_branch() if in_party else None, born=(1968, 1998),
            )
            if i == 0:
                self.liaisons[code] = person  # the office director is the unit's 专人
        return department

    def _industry(self, committee: Unit) -> None:
        number = 0
        for b, (name, short, unit_names) in enumerate(data.COORDINATING_BODIES, start=1):
            body = self.unit(f"CB{b}", name, UnitKind.COORDINATING_BODY, committee, short_name=short)
            for unit_name in unit_names:
                number += 1
                code = f"I{number:03d}"
                unit = self.unit(code, unit_name, UnitKind.INDUSTRY_UNIT, body)
                branch = self.unit(f"{code}-B1", f"{unit_name}党支部", UnitKind.BRANCH, unit)
                (head_title,) = _title_by_suffix(unit_name, data.INDUSTRY_HEAD_TITLES, ("总经理",))
                self.person(
                    unit, title=head_title, position=Position.HEAD, party_branch=branch, born=(1965, 1978),
                    male_share=0.75,
                )
                for i in range(self.rng.randint(2, 5)):
                    person = self.person(
                        unit, title=data.INDUSTRY_TITLES[i],
                        party_branch=branch if self.rng.random() < 0.4 else None,
                    )
                    if i == 0:
                        self.liaisons[code] = person

    def _territory(self, city: Unit) -> list[Unit]:
        # Distinct road/gate names for the 99 checkpoints, drawn once up front.
        roads = [p + s for p in data.ROAD_PREFIXES for s in data.ROAD_SUFFIXES]
        checkpoint_names = iter(self.rng.sample(roads, sum(data.CHECKPOINTS_PER_COMMUNITY)))
        community_names = iter(data.COMMUNITIES)
        sizes = iter(data.CHECKPOINTS_PER_COMMUNITY)
        communities: list[Unit] = []
        for s, (street_name, community_count) in enumerate(data.STREETS, start=1):
            street = self.unit(f"S{s}", street_name, UnitKind.STREET, city)
            for i in range(self.rng.randint(2, 3)):
                self.person(street, title=data.STREET_TITLES[i])
            for c in range(1, community_count + 1):
                name = next(community_names)
                code = f"S{s}-C{c:02d}"
                community = self.unit(code, name, UnitKind.COMMUNITY, street)
                communities.append(community)
                branch = self.unit(f"{code}-B1", f"{name}党支部", UnitKind.BRANCH, community)
                for i in range(self.rng.randint(4, 6)):
                    person = self.person(
                        community, title=data.COMMUNITY_TITLES[i],
                        party_branch=branch if i == 0 or self.rng.random() < 0.6 else None, male_share=0.4,
                    )
                    if i == 1:
                        self.liaisons[code] = person
                for k in range(1, next(sizes) + 1):
                    checkpoint = self.unit(
                        f"{code}-K{k}", f"{next(checkpoint_names)}卡点", UnitKind.CHECKPOINT, community
                    )
                    # About half the checkpoints have their own staff; the demo login's always does.
                    if (s, c, k) == (1, 1, 1) or self.rng.random() < 0.5:
                        self.person(checkpoint, title=data.CHECKPOINT_TITLE)
        return communities

    def _set_liaisons(self) -> None:
        # A plain update: the liaison is not an edit anyone made, and unit_update would audit it.
        for code, person in self.liaisons.items():
            Unit.objects.filter(pk=self.units[code].pk).update(liaison=person)

    def _pairings(self, departments: list[Unit], communities: list[Unit]) -> None:
        # Round-robin, so every community takes orders from 3 or 4 departments. Created directly
        # because pairing_create always writes an audit entry; the kinds are right by construction.
        Pairing.objects.bulk_create(
            [
                Pairing(department=dept, community=communities[i % len(communities)], since=PAIRED_SINCE)
                for i, dept in enumerate(departments)
            ]
        )

    def _groups(self, committee: Unit) -> None:
        specs = [(data.LEADING_GROUP, GroupKind.LEADING, data.LEADING_GROUP_DUTIES, data.LEADING_GROUP_MEMBERS)]
        specs += [(name, GroupKind.WORKING, duties, members) for name, duties, members in data.WORKING_GROUPS]
        for name, kind, duties, members in specs:
            group = WorkingGroup.objects.create(unit=committee, name=name, kind=kind, duties=duties)
            GroupMember.objects.bulk_create(
                [
                    GroupMember(group=group, person=self.committee_staff[index], role=MemberRole(role), items=items)
                    for index, role, items in members
                ]
            )

    def _demo_user_people(self) -> dict[str, Person | None]:
        """The person behind each domain login, so the UI can show who is signed in."""
        units = self.units
        secretary_branch = units[f"{data.DEMO_DEPARTMENT_CODE}-G1-B1"]
        return {
            "office": self.liaisons["WC"],
            "liaison": self.liaisons[data.DEMO_DEPARTMENT_CODE],
            # A staff cadre rather than the head, who leads the whole department, not one branch.
            "secretary": Person.objects.filter(branch=secretary_branch)
            .order_by("-position", "id")  # "staff" sorts after "head" and "deputy"
            .first(),
            "community": self.liaisons["S1-C01"],
            "street": Person.objects.filter(unit=units["S2"]).order_by("id").first(),
            "checkpoint": Person.objects.filter(unit=units["S1-C01-K1"]).order_by("id").first(),
            "inspector": self.committee_staff[7],  # 督查科科长
            "discipline": self.liaisons[data.DISCIPLINE_DEPARTMENT_CODE],
            "leader": self.committee_staff[0],  # 书记: signs off the committee's documents
        }

    def _users(self) -> int:
        people = self._demo_user_people()
        # One PBKDF2 hash shared by all demo logins: hashing costs ~0.3 s each at Django's
        # iteration count, and they share the one published demo password anyway.
        password = make_password(DEMO_PASSWORD)
        for username, role, scope_code in DEMO_USERS:
            person = people.get(username)
            user = User.objects.create(
                username=username, role=role, password=password, person=person,
                full_name=person.name if person else ADMIN_NAMES[username],
                is_staff=role == Role.SYSTEM_ADMIN, date_joined=ACCOUNTS_OPENED,
            )
            UserScope.objects.create(user=user, unit=self.units[scope_code])
        return len(DEMO_USERS)

    def counts(self) -> dict[str, int]:
        by_kind = Counter(Unit.objects.values_list("kind", flat=True))
        # Plain identifiers (as in ``fangkong stats``), not the translated labels, so columns line up.
        counts = {kind.replace("_", " "): by_kind[kind] for kind in UnitKind.values}
        counts["units"] = sum(by_kind.values())
        counts["people"] = Person.objects.count()
        counts["cadres"] = Person.objects.filter(is_cadre=True).count()
        counts["party members"] = Person.objects.filter(is_party_member=True).count()
        counts["pairings"] = Pairing.objects.count()
        counts["working groups"] = WorkingGroup.objects.count()
        counts["group members"] = GroupMember.objects.count()
        counts["users"] = User.objects.count()
        return counts


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def print_logins(out: TextIO | Any) -> None:
    """Write the table of demo logins (username, role, scope, password) to ``out``.

    Reads the accounts from the database, so it shows what is really there; ``make run`` calls
    it through ``fangkong demo --logins`` on every start.
    """
    from fangkong.orgs.golive import INITIALISED_KEY

    city = SiteSetting.objects.filter(key=INITIALISED_KEY).values_list("value", flat=True).first()
    if city:
        out.write(f"This is {city}'s own installation (started with `fangkong init`), not the demo: log in with "
                  "the accounts its administrators handed out.\n")
        return
    usernames = [username for username, _role, _scope in DEMO_USERS]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=usernames).prefetch_related("scope_units")
    }
    if not users:
        out.write("No demo logins found; run `fangkong demo` to load the demo city.\n")
        return
    rows = [("Username", "Role", "Scope", "Password")]
    for username in usernames:
        user = users.get(username)
        if user is None:
            continue
        scope = "、".join(unit.display_name for unit in user.scope_units.all()) or "-"
        rows.append((username, str(Role(user.role).label) if user.role else "-", scope, DEMO_PASSWORD))
    widths = [max(_width(row[col]) for row in rows) for col in range(4)]
    out.write("Demo logins (the password is the same for all; admin roles enrol a TOTP device on first login):\n")
    for i, row in enumerate(rows):
        out.write("  " + "  ".join(_pad(cell, widths[col]) for col, cell in enumerate(row)).rstrip() + "\n")
        if i == 0:
            out.write("  " + "  ".join("-" * w for w in widths) + "\n")
