"""One table of verdict cases (``fangkong/passes/data/verdict_cases.json``: facts → verdict) run
through the pure function and through every verifier that answers from them: the Django endpoint,
the lean path (SQLite here, PostgreSQL with DATABASE_URL), the ``verify_pass`` command, and the
offline verifier in Python. The browser's ``checkpoint.js`` runs the same table in
``test_browser.py``.

Each online case is made real for the server paths: a staff pass issued with those dates and
zones, revoked, suspended or with its holder's secondment ended, a token signed by another key
or for no pass on record, checked at that checkpoint at a fixed moment of the business clock.
"""

import datetime as dt
import io
import json
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.passes import fastpath, selectors, services, tokens
from fangkong.passes.models import Pass

from .. import factories as f
from .conftest import seconded

TABLE = json.loads((Path(__file__).resolve().parents[2] / "fangkong/passes/data/verdict_cases.json").read_text())
CASES = TABLE["cases"]
ONLINE = [c for c in CASES if {**TABLE["defaults"], **c["facts"]}["online"]]
OFFLINE = [c for c in CASES if not {**TABLE["defaults"], **c["facts"]}["online"]]


def facts_of(case: dict) -> dict:
    return {**TABLE["defaults"], **case["facts"]}


def above(name: str | None) -> list[str]:
    """The unit and every unit above it in the table's tree."""
    names = []
    while name is not None:
        names.append(name)
        name = TABLE["units"][name]
    return names


def resolved(case: dict, ids: dict[str, int]) -> dict:
    """The case's facts as ``verdict.Facts`` takes them (and ``checkpoint.js``'s ``decide``): unit
    names made ids, the checkpoint made its zones (itself and every unit above it)."""
    facts = facts_of(case)
    checkpoint = facts.pop("checkpoint")
    facts["checkpoint_zones"] = None if checkpoint is None else sorted(ids[n] for n in above(checkpoint))
    facts["pass_zones"] = [ids[n] for n in facts["pass_zones"]]
    return facts


TABLE_IDS = {name: i for i, name in enumerate(TABLE["units"], 1)}


def test_the_table_covers_every_verdict_and_names_each_case_once():
    from fangkong.passes.choices import Verdict

    assert {c["verdict"] for c in CASES} == set(Verdict.values)
    assert len({c["name"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert set(case["facts"]) <= set(TABLE["defaults"]) | {"checkpoint"}, case["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_pure_function_gives_each_verdict_of_the_table(case):
    from fangkong.passes import verdict

    facts = resolved(case, TABLE_IDS)
    facts["pass_zones"] = tuple(facts["pass_zones"])
    zones = facts.pop("checkpoint_zones")
    assert verdict.decide(verdict.Facts(**facts, checkpoint_zones=None if zones is None else frozenset(zones))) \
        == case["verdict"]


# ---- the offline verifier in Python ------------------------------------------------------------

KEY, STRANGER = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
BASE = dt.datetime(2020, 2, 15, 8, 0, tzinfo=dt.UTC)


def offline_token(case: dict, pass_id: int) -> str:
    facts = facts_of(case)
    claims = tokens.PassClaims(
        key_id=3, pass_id=pass_id, kind="staff", holder="李爱丽", unit_id=42, unit_name="市民政局",
        valid_from=BASE + dt.timedelta(seconds=facts["valid_from"]),
        valid_until=BASE + dt.timedelta(seconds=facts["valid_until"]),
        zones=tuple(TABLE_IDS[n] for n in facts["pass_zones"]),
    )
    return {
        "signed": lambda: tokens.sign(claims, KEY),
        "forged": lambda: tokens.sign(claims, STRANGER),
        "unknown_key": lambda: tokens.sign(tokens.PassClaims(**{**claims.__dict__, "key_id": 4}), KEY),
        "unreadable": lambda: "FK1:HELLO WORLD",
    }[facts["token"]]()


@pytest.mark.parametrize("case", OFFLINE, ids=[c["name"] for c in OFFLINE])
def test_the_offline_verifier_gives_each_offline_verdict_of_the_table(case):
    facts = facts_of(case)
    now = BASE + dt.timedelta(seconds=facts["now"])
    pid = 1000 + CASES.index(case)
    state = tokens.RevocationState(
        revoked=frozenset({pid} if facts["status"] == "revoked" else ()),
        suspended=frozenset({pid} if facts["status"] == "suspended" else ()),
        ended=frozenset({pid} if facts["secondment_ended"] else ()),
        issued_at=None if facts["list_age"] is None else now - dt.timedelta(seconds=facts["list_age"]),
    )
    checkpoint = facts["checkpoint"]
    outcome = tokens.check(
        offline_token(case, pid), public_keys={3: KEY.public_key()}, revocations=state, now=now,
        zone_ids=None if checkpoint is None else frozenset(TABLE_IDS[n] for n in above(checkpoint)),
        max_list_age=dt.timedelta(seconds=facts["max_list_age"]),
    )
    assert outcome.verdict == case["verdict"]


# ---- the server paths --------------------------------------------------------------------------


class World:
    """The table's units in a real tree, a guard whose scope holds both checkpoints, and the
    business clock held at one moment."""

    def __init__(self, city, office, monkeypatch) -> None:
        self.units = {"city": city.root, "street": city.street, "comm_1": city.comm_1, "comm_2": city.comm_2,
                      "checkpoint_1": city.checkpoint_1,
                      "checkpoint_2": f.unit("checkpoint", city.comm_2, "光明路卡点")}
        self.city, self.office = city, office
        self.guard = f.user(Role.CHECKPOINT_STAFF, city.street)
        self.api_token = token_create(user=self.guard, actor=SYSTEM)
        self.now = timezone.now().replace(microsecond=0)
        from fangkong.core import clock

        monkeypatch.setattr(clock, "now", lambda: self.now)
        self.day = timezone.localdate(self.now)

    def at(self, seconds: int) -> dt.datetime:
        return self.now + dt.timedelta(seconds=seconds)

    def make(self, case: dict) -> tuple[str, str | None]:
        """The token text and checkpoint code that make the case real."""
        facts = facts_of(case)
        assert facts["now"] == 0  # the server paths are checked at the clock's moment
        person = f.person(self.city.dept_a, "持证人")
        ends = self.day - dt.timedelta(days=1) if facts["secondment_ended"] else None
        seconded(person, self.city.dept_a, self.city.comm_1, starts=self.day - dt.timedelta(days=30), ends=ends)
        p = services.issue_staff_pass(
            actor=self.office, person=person, unit=self.city.dept_a, valid_from=self.at(facts["valid_from"]),
            valid_until=self.at(facts["valid_until"]), zones=[self.units[n] for n in facts["pass_zones"]],
        )
        if facts["status"] == "revoked":
            services.revoke_pass(actor=self.office, p=p)
        elif facts["status"] == "suspended":
            services.suspend_pass(actor=self.office, p=p)
        elif facts["status"] == "expired":
            Pass.objects.filter(pk=p.pk).update(status="expired")
        claims = tokens.unpack(tokens.split(p.token)[0])
        stranger = Ed25519PrivateKey.generate()
        if facts["token"] == "unreadable":
            token = "FK1:HELLO WORLD"
        elif facts["token"] == "forged":
            token = tokens.sign(claims, stranger)
        elif facts["token"] == "unknown_key":
            token = tokens.sign(tokens.PassClaims(**{**claims.__dict__, "key_id": 999}), stranger)
        elif not facts["on_record"]:
            from fangkong.passes.keys import current_key

            token = tokens.sign(tokens.PassClaims(**{**claims.__dict__, "pass_id": p.pk + 10**6}), current_key()[1])
        else:
            token = p.token
        checkpoint = facts["checkpoint"]
        return token, None if checkpoint is None else self.units[checkpoint].code


@pytest.fixture
def world(city, office, monkeypatch):
    fastpath.forget_all()
    yield World(city, office, monkeypatch)
    fastpath.forget_all()


def through_django(world, client, token, checkpoint):
    body = {"token": token, **({"checkpoint": checkpoint} if checkpoint else {})}
    r = client.post(fastpath.PATH, json.dumps(body), content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {world.api_token}")
    assert r.status_code == 200, r.content
    return r.json()["verdict"]


def through_lean_path(world, client, token, checkpoint):
    def django(environ, start_response):
        raise AssertionError(f"handed to Django: {environ['wsgi.input'].read()}")

    body = json.dumps({"token": token, **({"checkpoint": checkpoint} if checkpoint else {})})
    environ = RequestFactory().post(fastpath.PATH, data=body, content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {world.api_token}").environ
    got: dict = {}
    answer = b"".join(fastpath.VerifyFastPath(django)(environ, lambda s, h, e=None: got.update(status=s)))
    assert got["status"] == "200 OK", answer
    return json.loads(answer)["verdict"]


def through_command(world, client, token, checkpoint):
    out = io.StringIO()
    args = [token, "--user", world.guard.username, *(["--checkpoint", checkpoint] if checkpoint else [])]
    try:
        call_command("verify_pass", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    verdict = out.getvalue().split("(", 1)[1].split(")", 1)[0]
    assert code == (0 if verdict == "valid" else 1)
    return verdict


PATHS = {"django": through_django, "lean": through_lean_path, "command": through_command}


@pytest.mark.parametrize("path", PATHS)
def test_every_server_path_gives_each_online_verdict_of_the_table(world, client, path):
    made = [(case, *world.make(case)) for case in ONLINE]
    wrong = []
    for case, token, checkpoint in made:
        got = PATHS[path](world, client, token, checkpoint)
        if got != case["verdict"]:
            wrong.append(f"{case['name']}: {got}, not {case['verdict']}")
    assert not wrong, "\n".join(wrong)
    sys.stdout.write(f"{len(made)} cases through {path}\n")


def test_an_ended_secondment_counts_at_once_on_every_path(city, office, guard, staff_pass, client):
    """The Django endpoint kept a holder's secondments for a minute while the lean path read them
    live: after the secondment ended, the two answered differently."""
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    body = json.dumps({"token": staff_pass.token, "checkpoint": city.checkpoint_1.code})

    def both():
        django = client.post(fastpath.PATH, body, content_type="application/json", HTTP_AUTHORIZATION=auth).json()
        environ = RequestFactory().post(fastpath.PATH, data=body, content_type="application/json",
                                        HTTP_AUTHORIZATION=auth).environ
        lean = json.loads(b"".join(fastpath.VerifyFastPath(lambda e, s: [b"{}"])(environ, lambda s, h, e=None: None)))
        return django["verdict"], lean["verdict"]

    assert both() == ("valid", "valid")
    from fangkong.deployment.models import Secondment

    Secondment.objects.filter(person=city.alice).update(ends_on=timezone.localdate() - dt.timedelta(days=1))
    assert both() == ("secondment_ended", "secondment_ended")
    assert selectors.ended_secondment_pass_ids(timezone.localdate(), timezone.now()) == [staff_pass.pk]


def test_the_scope_rule_the_verifiers_ask_is_unit_in_scope(city):
    """Pass verification asks ``scope_covers`` with the user's scope units and the checkpoint's
    cached ancestors; everything else asks ``unit_in_scope``: both say the same for every scope."""
    from fangkong.core.scoping import scope_covers, unit_in_scope

    checkpoint_2 = f.unit("checkpoint", city.comm_2, "光明路卡点")
    scopes = [[city.root], [city.street], [city.comm_1], [city.comm_2], [city.checkpoint_1], [city.dept_a],
              [city.dept_a, city.comm_2], []]
    for units in scopes:
        user = f.user(Role.CHECKPOINT_STAFF, *units)
        for checkpoint in (city.checkpoint_1, checkpoint_2):
            zone = selectors.checkpoint_zone(checkpoint.code)
            assert scope_covers(selectors.user_scope_units(user.pk), zone[1]) == unit_in_scope(user, checkpoint.pk)
