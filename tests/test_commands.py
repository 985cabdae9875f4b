"""The command line: demo city, stats, export with scope."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from python_calamine import CalamineWorkbook

from fangkong.accounts.models import User
from fangkong.orgs.management.commands.demo import not_demo_data
from fangkong.orgs.models import Unit
from fangkong.people.models import Person
from fangkong.returnees.models import Returnee

from . import factories as f


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_loads_the_same_demo_city_of_the_source_shape_every_time(db):
    """One test, since each load takes seconds: shape, figures, logins, keep without reset, determinism."""
    run("demo")
    stats = json.loads(run("stats", "--as-of", "2020-02-10", "--json"))
    org = stats["org"]
    assert stats["as_of"] == "2020-02-10"
    assert (org["coordinating_bodies"], org["industry_units"], org["streets"], org["communities"], org["checkpoints"]) == (
        4, 67, 7, 26, 99)
    assert 90 <= org["departments"] <= 110
    assert 900 <= org["cadres"] <= 1200
    assert org["users"] >= 10
    # The ledger reproduces the source: every returnee dual-reported by 10 February.
    organs, industry = stats["organs"], stats["industry"]
    assert (organs["units_with_returnees"], organs["returnees"], organs["dual_report_rate"]) == (62, 271, 1.0)
    assert (industry["units_with_returnees"], industry["returnees"], industry["dual_report_rate"]) == (34, 194, 1.0)
    assert (industry["units"], industry["coordinating_bodies"]) == (67, 4)
    assert organs["in_isolation"] > 0 and organs["unit_only"] == organs["community_only"] == 0
    earlier = json.loads(run("stats", "--as-of", "2020-02-01", "--json"))
    assert earlier["organs"]["returnees"] < 271 and earlier["organs"]["dual_report_rate"] < 1.0
    later = json.loads(run("stats", "--as-of", "2020-02-25", "--json"))
    assert later["organs"]["concealment_suspects"] >= 1
    assert set(User.objects.values_list("role", flat=True)) >= {
        "system_admin", "security_admin", "auditor", "committee_office", "unit_liaison", "branch_secretary",
        "community_staff", "checkpoint_staff", "inspection_group", "discipline_office"}

    # The printed logins work, and the community login sees only its community.
    table = run("demo", "--logins")
    assert "community" in table and "Fangkong@2020" in table
    response = Client().post("/accounts/login/", {"username": "community", "password": "Fangkong@2020"})
    assert response.status_code == 302
    community = User.objects.get(username="community")
    scope = community.scopes.get().unit
    below = set(Unit.objects.under(scope.pk).values_list("id", flat=True))
    visible = Person.objects.visible_to(community)
    assert visible.exists() and all(p.unit_id in below for p in visible)

    # Without --reset the data stays; with it the same city comes back.
    people = list(Person.objects.order_by("id_digest").values_list("id_digest", "name", "unit__code"))
    units = list(Unit.objects.order_by("code").values_list("code", "name", "parent__code"))
    ledger = list(Returnee.objects.order_by("id_digest").values_list("id_digest", "unit__code", "unit_reported_at",
                                                                     "community_reported_at"))
    run("demo")
    assert Person.objects.count() == len(people)
    # Only the demo's data: --reset may replace it. One more account, and it refuses unless told.
    assert not_demo_data() == ""
    f.user("committee_office", Unit.objects.get(code="C0"), username="real_office")
    with pytest.raises(CommandError, match="i-know-this-is-not-production"):
        run("demo", "--reset")
    assert User.objects.filter(username="real_office").exists()
    run("demo", "--reset", "--i-know-this-is-not-production")
    assert not User.objects.filter(username="real_office").exists()
    assert list(Person.objects.order_by("id_digest").values_list("id_digest", "name", "unit__code")) == people
    assert list(Unit.objects.order_by("code").values_list("code", "name", "parent__code")) == units
    assert list(Returnee.objects.order_by("id_digest").values_list(
        "id_digest", "unit__code", "unit_reported_at", "community_reported_at")) == ledger


def test_demo_reset_refuses_a_database_the_demo_did_not_load(city):
    """A real city's data (here the test city, with no demo marker) is never wiped by --reset
    alone; the audit log keeps its entries."""
    from fangkong.audit.models import AuditEntry

    entries = AuditEntry.objects.count()
    with pytest.raises(CommandError) as exc:
        run("demo", "--reset")
    assert "not loaded by `fangkong demo`" in str(exc.value) and "--i-know-this-is-not-production" in str(exc.value)
    assert Unit.objects.filter(pk=city.root.pk).exists() and AuditEntry.objects.count() == entries
    assert Person.objects.filter(pk=city.alice.pk).exists()


def test_stats_refuses_a_bad_date(db):
    with pytest.raises(CommandError):
        run("stats", "--as-of", "2020-02-30", "--json")


def test_export_people_applies_the_user_scope(city, tmp_path):
    user = f.user("unit_liaison", city.dept_a, username="cli_liaison")
    path = tmp_path / "people.xlsx"
    run("export_people", str(path), "--user", "cli_liaison")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[1:]] == ["李爱丽"]
    f.user("checkpoint_staff", city.checkpoint_1, username="cli_checkpoint")
    with pytest.raises(CommandError):
        run("export_people", str(path), "--user", "cli_checkpoint")
    assert user.pk
