"""Masks hold: nothing shown beside a masked ID number lets a role without the reveal permission
rebuild it, on any page, API answer or export.

The mask 220602********7574 hides the birth date: beside it, a birth date (in any spelling), an
exact age or a hit of a search by the full number would give the number back. This test walks
every page of the URL configuration, every GET of the committed OpenAPI document and every export
(page and command), with the ledger and the people of a small city filled in, as roles without
reveal and as one with it: none shows a full ID number, phone or birth date; the schemas carry the
birth year at most; a full number searched finds nothing without reveal; the role with reveal
still sees each value in full through a reveal (audited) and a clear export (audited). And the
masks are stated once: what every write path stores is ``core.idcard``'s mask.
"""

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from fangkong.accounts.roles import Role
from fangkong.accounts.services import token_create
from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import check_digit, mask_id_number, mask_phone
from fangkong.deployment.models import Secondment
from fangkong.passes import services as pass_services
from fangkong.returnees import services as returnee_services
from fangkong.returnees.models import LedgerImport, Returnee

from . import factories as f
from .conftest import login_client

ROOT = Path(__file__).resolve().parent.parent
NO_REVEAL = (Role.INSPECTION_GROUP, Role.BRANCH_SECRETARY, Role.CHECKPOINT_STAFF, Role.LEADER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Never GET: they end the session or are the API (walked through its document below) or admin.
SKIP_NAMESPACES = {"admin", "api"}
SKIP_NAMES = {"logout", "set_language"}
CLEAR_EXPORTS = {"/people/export/", "/returnees/export/"}


def birth_day() -> dt.date:
    """A birth date whose month and day are not today's or in the demo ledger's weeks (which the
    pages show as dates anyway), so finding it can only be a leak."""
    today = timezone.localdate()
    for candidate in (dt.date(1987, 8, 23), dt.date(1979, 10, 29), dt.date(1991, 5, 13)):
        if abs((candidate.replace(year=today.year) - today).days) > 2:
            return candidate
    raise AssertionError("unreachable")


def forbidden(number: str, phone: str) -> list[str]:
    """Every spelling of what would complete the mask: the number, its birth date, the phone."""
    b = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return [
        number, number.lower(), phone, number[6:14],
        f"{b:%Y-%m-%d}", f"{b:%Y/%m/%d}", f"{b.year}-{b.month}-{b.day}", f"{b.year}/{b.month}/{b.day}",
        f"{b.year}年{b.month}月{b.day}日", f"{b:%Y年%m月%d日}", f"{b.month}月{b.day}日", f"{b:%m-%d}",
        f"{b:%m%d}{number[14:]}",  # the hidden digits run into the shown last four
    ]


@pytest.fixture
def ledger(city):
    """A person who came back: staff of dept_a, reported by the unit and registered by the
    community, in isolation with a follow-up, seconded with a staff pass; a second returnee of the
    same name and birth date (a reconciliation pair); a ledger import that names them."""
    born = birth_day()
    office = f.user(Role.COMMITTEE_OFFICE, city.root)
    person = f.person(city.dept_a, "周全", id_number=f.id_number(f"{born:%Y%m%d}"), phone=f.phone())
    common = {"name": person.name, "unit": city.dept_a, "community": city.comm_1, "category": "fever",
              "return_date": dt.date(2020, 2, 1), "origin_text": "湖北省武汉市"}
    returnee = returnee_services.register(actor=office, side="unit", id_number=person.id_number, phone=person.phone,
                                          **common)
    returnee_services.register(actor=office, side="community", id_number=person.id_number, **common)
    twin = returnee_services.register(actor=office, side="unit", id_number=f.id_number(f"{born:%Y%m%d}"),
                                      phone=f.phone(), **common)
    order = returnee.isolation
    from decimal import Decimal

    returnee_services.follow_up_record(actor=office, order=order, day=order.start_date, temperature=Decimal("37.8"),
                                       symptoms="咳嗽")
    Secondment.objects.create(person=person, department=city.dept_a, unit=city.comm_1,
                              starts_on=dt.date(2020, 2, 1))
    now = timezone.now()
    staff_pass = pass_services.issue_staff_pass(
        actor=office, person=person, unit=city.dept_a, valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30), zones=[city.comm_1], purpose="下沉社区")
    li = LedgerImport.objects.create(side="unit", file_name="l.xlsx", sha256="0" * 64, uploaded_by=office,
                                     scope_unit=city.root, status="committed")
    return {"office": office, "person": person, "returnee": Returnee.objects.get(pk=returnee.pk),
            "twin": Returnee.objects.get(pk=twin.pk), "pass": staff_pass, "import": li,
            "bad": forbidden(person.id_number, person.phone) + forbidden(twin.id_number, twin.phone)}


def pages(city, ledger) -> list[str]:
    """Every GET page of the URL configuration, with the city's and the ledger's objects as ids."""
    from fangkong.deployment.models import Shift  # noqa: F401  (the roster pages take a shift id)
    from fangkong.reports.models import ConcealmentFlag, Report, ReportTemplate

    units = [city.root.pk, city.dept_a.pk, city.comm_1.pk, city.checkpoint_1.pk]
    ids = {
        "people": [ledger["person"].pk],
        "returnees": [ledger["returnee"].pk, ledger["twin"].pk, ledger["import"].pk],
        "deployment": [*Secondment.objects.values_list("pk", flat=True), *units],
        "passes": [ledger["pass"].pk],
        "orgs": units,
        "reports": [*ConcealmentFlag.objects.values_list("pk", flat=True), *Report.objects.values_list("pk", flat=True),
                    *ReportTemplate.objects.values_list("pk", flat=True), *units],
        "accounts": [ledger["office"].pk],
    }
    strings = {"side": ["unit", "community"], "code": [city.checkpoint_1.code], "field": [], "action": []}
    urls = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace not in SKIP_NAMESPACES and p.name not in SKIP_NAMES:
                route = "/" + prefix + str(p.pattern)
                options = [route]
                for kind, name in re.findall(r"<(\w+):(\w+)>", route):
                    values = ids.get(namespace, []) if kind == "int" else strings.get(name, [])
                    options = [o.replace(f"<{kind}:{name}>", str(v), 1) for o in options for v in values]
                urls.extend(options)

    walk(get_resolver().url_patterns, "", None)
    return urls


def texts_of(response) -> str:
    """What a response shows: its text, or every cell of an xlsx."""
    if response.get("Content-Type", "").startswith(XLSX):
        book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        return "\n".join(str(cell) for name in book.sheet_names
                         for row in book.get_sheet_by_name(name).to_python() for cell in row)
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def leaks(text: str, bad: list[str]) -> list[str]:
    return [value for value in bad if value in text]


@pytest.mark.parametrize("role", [*NO_REVEAL, Role.COMMITTEE_OFFICE])
def test_no_page_or_page_export_shows_what_completes_a_mask(city, ledger, role):
    """Every page and xlsx export, for every role: no full number, phone or birth date. (A role
    with reveal sees them only through the audited reveal, below.)"""
    user = ledger["office"] if role == Role.COMMITTEE_OFFICE else f.user(role, city.root)
    client = login_client(user)
    seen, carrying = 0, []
    for url in pages(city, ledger):
        response = client.get(url)
        if response.status_code != 200:
            continue
        seen += 1
        text = texts_of(response)
        if role == Role.COMMITTEE_OFFICE and url in CLEAR_EXPORTS:
            continue  # in clear for a role that may reveal, and audited: see the next test
        assert not leaks(text, ledger["bad"]), (role, url, leaks(text, ledger["bad"]))
        if ledger["person"].masked_id_number in text or ledger["twin"].masked_id_number in text:
            carrying.append(url.split("?")[0])
    assert seen > 10
    if role in (Role.COMMITTEE_OFFICE, Role.INSPECTION_GROUP):  # both see the ledger and may export it
        r, p = ledger["returnee"].pk, ledger["person"].pk
        expected = {"/people/", f"/people/{p}/", "/returnees/", f"/returnees/{r}/", "/returnees/reconciliation/"}
        if role != Role.COMMITTEE_OFFICE:
            expected |= CLEAR_EXPORTS  # masked for this role
        assert expected <= set(carrying), carrying


def test_exports_in_clear_only_for_a_role_that_may_reveal_and_audited(city, ledger):
    number = ledger["person"].id_number
    for user, clear in ((ledger["office"], True), (f.user(Role.INSPECTION_GROUP, city.root), False)):
        client = login_client(user)
        for url in ("/people/export/", "/returnees/export/"):
            text = texts_of(client.get(url))
            if clear:
                assert number in text, url
            else:
                assert not leaks(text, ledger["bad"]) and ledger["person"].masked_id_number in text, url
            assert AuditEntry.objects.filter(actor=user, action="export", detail__contains=f"clear={clear}").exists()


@pytest.mark.parametrize("command", ["export_people", "export_ledger"])
def test_command_exports_hold_the_masks_too(city, ledger, tmp_path, command):
    inspector = f.user(Role.INSPECTION_GROUP, city.root)
    for user, clear in ((inspector, False), (ledger["office"], True)):
        path = tmp_path / f"{user.username}.xlsx"
        call_command(command, str(path), "--user", user.username, stdout=io.StringIO())
        book = CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_index(0).to_python()
        text = "\n".join(str(c) for row in rows for c in row)
        headers = [str(h) for h in rows[0]]
        assert not any("birth date" in h.lower() or "出生日期" in h for h in headers), headers
        if clear:
            assert ledger["person"].id_number in text
        else:
            assert not leaks(text, ledger["bad"]) and ledger["person"].masked_id_number in text


def _schema_refs(node, schemas, seen=None) -> set[str]:
    """The component schemas a schema reaches."""
    seen = set() if seen is None else seen
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref and ref.rsplit("/", 1)[-1] not in seen:
            name = ref.rsplit("/", 1)[-1]
            seen.add(name)
            _schema_refs(schemas[name], schemas, seen)
        for value in node.values():
            _schema_refs(value, schemas, seen)
    elif isinstance(node, list):
        for value in node:
            _schema_refs(value, schemas, seen)
    return seen


def test_the_api_schemas_carry_the_birth_year_at_most_beside_a_masked_number():
    document = json.loads((ROOT / "openapi.json").read_text())
    schemas = document["components"]["schemas"]
    carrying = {name for name, schema in schemas.items() if "id_number" in schema.get("properties", {})}
    assert {"PersonOut", "ReturneeOut", "ReturneeDetailOut"} <= carrying
    for name in carrying:
        properties = schemas[name]["properties"]
        for prop, spec in properties.items():
            assert not re.search(r"birth|dob|age\b|born", prop) or (prop == "birth_year" and spec["type"] == "integer"), (
                name, prop)
        if not name.endswith("In") and not name.endswith("Patch"):  # answers, not requests
            assert "Masked" in properties["id_number"].get("description", ""), name


def test_every_api_answer_beside_a_masked_number_holds_it(city, ledger):
    """Every GET of the committed document, as roles without reveal and with it: no full number,
    phone or birth date; every answer schema that carries an ID number was met."""
    document = json.loads((ROOT / "openapi.json").read_text())
    schemas = document["components"]["schemas"]
    carrying = {name for name, schema in schemas.items() if "id_number" in schema.get("properties", {})}
    params = {"person_id": ledger["person"].pk, "returnee_id": ledger["returnee"].pk, "import_id": ledger["import"].pk,
              "unit_id": city.dept_a.pk, "secondment_id": Secondment.objects.first().pk, "pass_id": ledger["pass"].pk,
              "shift_id": 1, "report_id": 1}
    queries = ["", "?page_size=200"]
    met: set[str] = set()
    for role in (*NO_REVEAL, Role.COMMITTEE_OFFICE):
        user = ledger["office"] if role == Role.COMMITTEE_OFFICE else f.user(role, city.root)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}
        client = Client()
        for path, operations in document["paths"].items():
            if "get" not in operations:
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), 1)), path)
            answer = operations["get"]["responses"].get("200", {})
            reached = _schema_refs(answer, schemas)
            for query in queries:
                response = client.get(url + query, **auth)
                if response.status_code != 200:
                    continue
                text = response.content.decode()
                assert not leaks(text, ledger["bad"]), (role, url, leaks(text, ledger["bad"]))
                if reached & carrying and ledger["person"].masked_id_number in text:
                    met |= reached & carrying
    assert {"PersonOut", "ReturneeOut", "ReturneeDetailOut"} <= met


def test_a_full_number_searched_finds_nothing_without_reveal(city, ledger):
    """A hit would be an oracle: the mask leaves a few thousand candidates for an ID number (a few
    dozen beside a birth year), each one search away."""
    person, name = ledger["person"], ledger["person"].name
    for role, hits in ((Role.INSPECTION_GROUP, False), (Role.BRANCH_SECRETARY, False), (Role.COMMITTEE_OFFICE, True)):
        user = ledger["office"] if role == Role.COMMITTEE_OFFICE else f.user(role, city.root)
        client = login_client(user)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}
        for q in (person.id_number, person.phone):
            for url in (f"/people/?q={q}", f"/returnees/?q={q}"):
                response = client.get(url)
                if response.status_code == 200:
                    assert (name in response.content.decode()) is hits, (role, url)
            for url in (f"/api/v1/people?q={q}", f"/api/v1/returnees?q={q}"):
                response = Client().get(url, **auth)
                if response.status_code == 200:
                    assert (response.json()["count"] > 0) is hits, (role, url)
    # The last four digits of the phone, shown in the mask anyway, find the person for everyone.
    inspector = login_client(f.user(Role.INSPECTION_GROUP, city.root))
    assert name in inspector.get(f"/returnees/?q={person.phone[-4:]}").content.decode()


def test_a_role_that_may_reveal_sees_the_full_value_audited(city, ledger):
    office, person, returnee = ledger["office"], ledger["person"], ledger["returnee"]
    client = login_client(office)
    for url, obj in ((f"/people/{person.pk}/reveal/", person), (f"/returnees/{returnee.pk}/reveal/", returnee)):
        for field in ("id_number", "phone"):
            response = client.post(url + f"{field}/")
            assert response.status_code == 200 and getattr(obj, field) in response.content.decode()
            entry = AuditEntry.objects.filter(actor=office, action="reveal", object_id=str(obj.pk)).latest("id")
            assert entry.detail == field
    inspector = login_client(f.user(Role.INSPECTION_GROUP, city.root))
    assert inspector.post(f"/returnees/{returnee.pk}/reveal/id_number/").status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exclude(actor=office).exists()


def _valid_numbers():
    """Valid 18-digit ID numbers (area, birth date, order, check digit)."""
    return st.builds(
        lambda area, born, order: (lambda first17: first17 + check_digit(first17))(f"{area}{born:%Y%m%d}{order:03d}"),
        st.sampled_from(["220602", "110105", "420102", "440300"]),
        st.dates(dt.date(1920, 1, 1), dt.date(2019, 12, 31)), st.integers(0, 999),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=_valid_numbers(), phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_masks_are_stated_once_whatever_writes_the_record(city, number, phone):
    """Issue 20, item 9: the mask is core.idcard's, stored at write time; the ledger writer (COPY
    on PostgreSQL), the model's setter and the ledger export all give exactly that text."""
    from fangkong.people.models import Person
    from fangkong.returnees.tables import export_rows

    returnee = returnee_services.register(actor=SYSTEM, side="unit", name="掩码", id_number=number, phone=phone,
                                          unit=city.dept_a)
    assert (returnee.id_masked, returnee.phone_masked) == (mask_id_number(number), mask_phone(phone))
    person = Person(name="掩码", unit=city.dept_a)
    person.id_number, person.phone = number, phone
    assert (person.masked_id_number, person.masked_phone) == (mask_id_number(number), mask_phone(phone))
    headers, rows = export_rows(Returnee.objects.filter(pk=returnee.pk), clear=False)
    (row,) = list(rows)
    assert (row[headers.index("身份证号")], row[headers.index("联系电话")]) == (mask_id_number(number), mask_phone(phone))
