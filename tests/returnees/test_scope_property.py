"""Property: registrations by random users of random scopes, through the service, the form, the
API and the ledger import, never show the caller a value of a record outside their scope and
never change such a record, except through the conflict path (docs/attribution.md).

Each example is a short sequence of registrations over a small pool of ID numbers, so people are
met again from the same and from other scopes; every value typed is unique to its step, so a value
found in an answer names the registration it came from. Each example runs in a savepoint that is
rolled back, so examples do not see each other's people.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
import xlsxwriter
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import id_digest, mask_phone
from fangkong.core.scoping import scope_unit_ids
from fangkong.orgs.choices import UnitKind
from fangkong.returnees import imports, services
from fangkong.returnees.models import AttributionConflict, Registration, Returnee
from tests import factories as f
from tests.conftest import login_client

FIELDS = ("name", "phone", "unit_id", "community_id", "address", "category", "origin_text", "origin_code",
          "transport", "return_date", "notes", "line", "coordinating_body_id", "unit_reported_at",
          "community_reported_at")
# Values a person holds that a registrant outside the scope must never be shown.
SHOWN = ("name", "address", "origin_text", "transport", "notes")
DIGITS = "〇一二三四五六七八九"
PATHS = ("service", "form", "api", "import")


@dataclass
class Registrant:
    user: Any
    side: str
    units: list[Any]  # the units it may register through
    client: Any
    token: str


@pytest.fixture
def world(city, tmp_path_factory):
    """The test city plus a second industry unit and a third community in another street; the
    registrants of each scope; a pool of three ID numbers."""
    industry_2 = f.unit(UnitKind.INDUSTRY_UNIT, city.cb, "白岭市燃气公司")
    street_2 = f.unit(UnitKind.STREET, city.root, "西城街道")
    comm_3 = f.unit(UnitKind.COMMUNITY, street_2, "新华社区")
    plan = [
        ("unit_liaison", city.dept_a, "unit", [city.dept_a]),
        ("unit_liaison", city.dept_b, "unit", [city.dept_b]),
        ("unit_liaison", city.cb, "unit", [city.industry, industry_2]),
        ("unit_liaison", city.industry, "unit", [city.industry]),
        ("community_staff", city.comm_1, "community", [city.comm_1]),
        ("community_staff", city.comm_2, "community", [city.comm_2]),
        ("community_staff", city.street, "community", [city.comm_1, city.comm_2]),
        ("community_staff", comm_3, "community", [comm_3]),
        ("committee_office", city.root, "unit", [city.dept_a, city.industry]),
        ("committee_office", city.root, "community", [city.comm_1, comm_3]),
    ]
    registrants = []
    for role, scope, side, units in plan:
        user = f.user(role, scope)
        registrants.append(Registrant(user, side, units, login_client(user), token_create(user=user, actor=SYSTEM)))
    return {
        "registrants": registrants,
        "numbers": [f.id_number(birth="19790101"), f.id_number(birth="19880808"), f.id_number(birth="19991212")],
        "employers": [None, city.dept_a, city.dept_b, city.industry, industry_2],
        "communities": [None, city.comm_1, city.comm_2, comm_3],
        "folder": tmp_path_factory.mktemp("property"),
    }


step = st.fixed_dictionaries({
    "who": st.integers(0, 9),
    "unit": st.integers(0, 1),
    "person": st.integers(0, 1),
    "other": st.integers(0, 4),
    "path": st.sampled_from(PATHS),
    "category": st.sampled_from(["outside", "relative", "fever", "other"]),
    "day": st.integers(1, 20),
    "blank": st.sets(st.sampled_from(["phone", "address", "origin_text", "transport", "notes"])),
    "tail": st.integers(0, 99),
    # The registrant gives the name the person is already registered under (as a real employer or
    # community would); otherwise a name of its own.
    "known_name": st.booleans(),
})


def typed_values(k: int, s: dict[str, Any]) -> dict[str, Any]:
    """Values unique to step k: a name, an address, an origin, a transport and notes that name k,
    a phone whose last four digits do."""
    mark = DIGITS[k // 10] + DIGITS[k % 10]
    values = {"name": f"登记{mark}", "phone": f"139{s['tail']:04d}{5000 + k:04d}", "address": f"路{mark}号",
              "origin_text": f"地{mark}", "transport": f"车{mark}", "notes": f"注{mark}", "category": s["category"],
              "return_date": dt.date(2020, 2, s["day"])}
    for name in s["blank"]:
        values[name] = ""
    return values


def snapshot() -> dict[int, dict[str, Any]]:
    # Through the model: the ID number and phone are stored sealed, and read opened.
    return {r.pk: {"id": r.pk, "id_number": r.id_number, **{name: getattr(r, name) for name in FIELDS}}
            for r in Returnee.objects.all()}


def traces(record: dict[str, Any]) -> set[str]:
    found = {str(record[name]) for name in SHOWN if record[name]}
    if record["phone"]:
        found |= {record["phone"], mask_phone(record["phone"])}
    return found


def register(world: dict[str, Any], who: Registrant, unit: Any, other: Any, number: str, values: dict[str, Any],
             path: str, k: int) -> str:
    """One registration through one path; everything the registrant is shown, as text."""
    side = who.side
    place, other_key = ("unit", "community") if side == "unit" else ("community", "unit")
    if path == "service":
        shown = services.register(actor=who.user, side=side, id_number=number, **{place: unit, other_key: other},
                                  **values)
        registrations = shown.standin_registrations if shown.pk is None else list(shown.registrations.all())
        return json.dumps([str(getattr(shown, name)) for name in FIELDS] + [shown.masked_phone]
                          + [r.unit.name for r in registrations], ensure_ascii=False)
    if path == "form":
        data = {k2: v for k2, v in values.items() if v not in ("", None)}
        data.update(id_number=number, return_date=values["return_date"].isoformat(), **{place: unit.pk})
        if other is not None:
            data[other_key] = other.pk
        response = who.client.post(f"/returnees/register/{side}/", data, follow=True)
        assert response.status_code == 200, response.content[:300]
        return response.content.decode()
    if path == "api":
        data = {**values, "side": side, "id_number": number, "return_date": values["return_date"].isoformat(),
                f"{place}_id": unit.pk, f"{other_key}_id": other.pk if other is not None else None}
        response = who.client.post("/api/v1/returnees", data, content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {who.token}")
        assert response.status_code == 201, response.content
        return response.content.decode()
    headers = ["姓名", "身份证号", "联系电话", "工作单位", "居住社区", "居住地址", "人员类别", "来源地", "交通方式",
               "返回日期", "备注"]
    categories = {"outside": "外地返回", "relative": "同住密切接触者", "fever": "发热", "other": "其他"}
    employer = unit if side == "unit" else other
    community = unit if side == "community" else other
    path_ = world["folder"] / f"step{k}.xlsx"
    book = xlsxwriter.Workbook(str(path_))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, headers)
    sheet.write_row(1, 0, [values["name"], number, values["phone"], employer.name if employer else "",
                           community.name if community else "", values["address"], categories[values["category"]],
                           values["origin_text"], values["transport"], values["return_date"].isoformat(),
                           values["notes"]])
    book.close()
    li = imports.import_run(imports.import_create(actor=who.user, side=side, source=path_, file_name=path_.name),
                            commit=True)
    assert li.status == "committed", li.errors
    return json.dumps([li.message, li.created, li.updated, li.unchanged], ensure_ascii=False)


def had_before(who: Registrant, unit: Any, number: str) -> bool:
    """Whether the registrant already has a registration or a claim of this person."""
    return (Registration.objects.filter(returnee__id_digest=id_digest(number), side=who.side, unit=unit).exists()
            or AttributionConflict.objects.filter(returnee__id_digest=id_digest(number), side=who.side,
                                                  claiming_unit=unit).exists())


def check_step(who: Registrant, unit: Any, number: str, values: dict[str, Any], before: dict[int, dict[str, Any]],
               registrations: set[int], shown: str, counts: str | None, had: bool) -> None:
    scope = scope_unit_ids(who.user)
    after = snapshot()
    typed = {str(v) for v in values.values() if v}
    if values["phone"]:
        typed.add(mask_phone(values["phone"]))
    place = "unit_id" if who.side == "unit" else "community_id"

    def in_scope(record: dict[str, Any]) -> bool:
        return scope is None or record["unit_id"] in scope or record["community_id"] in scope

    met = next((r for r in before.values() if r["id_number"] == number), None)
    if met is None:
        event("new person")
    elif scope is None or met[place] in scope:
        event("person in scope")
    else:
        event(("empty place taken" if values["name"] == met["name"] else "empty place claimed")
              if met[place] is None else "person held outside the scope")
    for pk, old in before.items():
        new = after[pk]
        if old["id_number"] != number:
            assert new == old, "a person not registered changed"
        elif scope is not None and old[place] is not None and old[place] not in scope:
            # Held outside the scope: only the conflict path may act.
            assert new == old, "a person held outside the scope changed"
            claim = AttributionConflict.objects.filter(returnee_id=pk, side=who.side, claiming_unit=unit).first()
            own = Registration.objects.filter(returnee_id=pk, side=who.side, unit=unit).first()
            assert claim is not None or (own is not None and own.pk in registrations), "no conflict opened"
            for pk2 in set(Registration.objects.filter(returnee_id=pk).values_list("id", flat=True)) - registrations:
                added = Registration.objects.get(pk=pk2)
                assert added.unit == unit and added.side == who.side
                assert AttributionConflict.objects.filter(claiming_registration=added).exists()
        elif scope is not None and old[place] is None and values["name"] != old["name"]:
            # An empty place, but the ID number alone: a claim for the office, the person unchanged.
            assert new == old, "an empty place was taken on the ID number alone"
            assert AttributionConflict.objects.filter(returnee_id=pk, side=who.side, claiming_unit=unit).exists() or (
                Registration.objects.filter(returnee_id=pk, side=who.side, unit=unit).exists()), "no conflict opened"
        elif scope is not None and old[place] is None:
            # An empty place taken: nothing the person held changes but the place and its stamp.
            assert new[place] == unit.pk
            for name in FIELDS:
                if old[name] not in ("", None) and name not in {place, "line", "coordinating_body_id"}:
                    assert new[name] == old[name], name
    # No value of a record the registrant could not see reaches the answer, unless it typed it.
    for pk, old in before.items():
        if in_scope(old) or (old["id_number"] == number and in_scope(after[pk])):
            continue
        for trace in traces(old) - typed:
            assert trace not in shown, (trace, shown[:500])
    if counts is not None and not had and (met is None or not in_scope(met)):
        # The import's counts never tell that the ID number exists somewhere outside the scope.
        assert json.loads(counts)[1:] == [1, 0, 0], "a row meeting a person outside the scope must count as new"


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=3, max_size=6))
def test_no_registration_shows_or_changes_what_lies_outside_the_scope(world, steps):
    with transaction.atomic():
        for k, s in enumerate(steps):
            who = world["registrants"][s["who"]]
            unit = who.units[s["unit"] % len(who.units)]
            others = world["communities"] if who.side == "unit" else world["employers"]
            other = others[s["other"] % len(others)]
            number = world["numbers"][s["person"]]
            values = typed_values(k, s)
            held = Returnee.objects.filter(id_digest=id_digest(number)).values_list("name", flat=True).first()
            if s["known_name"] and held:
                values["name"] = held
            before = snapshot()
            registrations = set(Registration.objects.values_list("id", flat=True))
            had = had_before(who, unit, number)
            shown = register(world, who, unit, other, number, values, s["path"], k)
            check_step(who, unit, number, values, before, registrations, shown,
                       shown if s["path"] == "import" else None, had)
        transaction.set_rollback(True)
