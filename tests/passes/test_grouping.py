"""Concurrent verifications share one statement (``fastpath.GroupRunner``): the checks a worker has
in hand at the same moment are read and logged together, each answer goes back to its own request,
and a failure answers every request of its group with a 500 without stopping the next group."""

import datetime as dt
import json
import threading
import time

import pytest
from django.db import connection, connections
from django.test import RequestFactory

from fangkong.accounts.roles import Role
from fangkong.accounts.services import token_create
from fangkong.config.wsgi import application
from fangkong.core.actors import SYSTEM
from fangkong.passes import fastpath, services
from fangkong.passes.fastpath import PATH, Check, GroupRunner
from fangkong.passes.models import PassCheck

from .. import factories as f


def _check(label: str) -> Check:
    now = dt.datetime(2020, 2, 15, 8, tzinfo=dt.UTC)
    return Check("hash", None, "unreadable", None, None, "", label, "in", True, now)


def _until(condition, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def test_checks_waiting_while_a_group_runs_go_together_and_each_gets_its_own_answer():
    runner = GroupRunner()
    gate = threading.Event()
    groups: list[list[str]] = []

    def execute(group):
        groups.append([c.number for c in group])
        if len(groups) == 1:
            assert gate.wait(10)
        for c in group:
            c.row = ("answer", c.number)

    checks = [_check(f"c{i}") for i in range(6)]
    first = threading.Thread(target=runner.run, args=(checks[0], execute))
    first.start()
    _until(lambda: bool(groups))  # the first request leads at once: nobody waits for a timer
    others = [threading.Thread(target=runner.run, args=(c, execute)) for c in checks[1:]]
    for t in others:
        t.start()
    _until(lambda: len(runner._waiting) == 5)
    gate.set()
    for t in [first, *others]:
        t.join(10)
    assert groups[0] == ["c0"]
    assert sorted(groups[1]) == ["c1", "c2", "c3", "c4", "c5"] and len(groups) == 2
    assert all(c.row == ("answer", c.number) and c.error is None for c in checks)
    assert (runner.groups, runner.largest, runner._busy) == (2, 5, False)


def test_a_leader_that_has_read_hands_on_and_the_next_group_runs_beside_it():
    """The lean path's leader passes the lead on once its group has read (``GroupRunner.hand_on``):
    the next group reads while the first one still writes its passages."""
    runner = GroupRunner()
    handed, second_ran = threading.Event(), threading.Event()

    def execute(group):
        if group[0].number == "a":
            runner.hand_on()
            runner.hand_on()  # once per group: the second call does nothing
            handed.set()
            assert second_ran.wait(10)  # still "writing" while the next group runs
        else:
            second_ran.set()
        for c in group:
            c.row = ("answer", c.number)

    a, b = _check("a"), _check("b")
    first = threading.Thread(target=runner.run, args=(a, execute))
    first.start()
    assert handed.wait(10)
    second = threading.Thread(target=runner.run, args=(b, execute))
    second.start()
    for t in (first, second):
        t.join(10)
    assert (a.row, b.row, runner.groups, runner._busy) == (("answer", "a"), ("answer", "b"), 2, False)


def test_a_failing_group_fails_each_of_its_checks_and_the_next_group_runs():
    runner = GroupRunner()

    def broken(group):
        raise RuntimeError("database gone")

    failed = _check("x")
    runner.run(failed, broken)
    assert isinstance(failed.error, RuntimeError) and failed.row is None
    assert runner._busy is False
    ok = _check("y")
    runner.run(ok, lambda group: [setattr(c, "row", ("fine",)) for c in group])
    assert ok.row == ("fine",) and ok.error is None


def _post(body: dict, auth: str) -> tuple[int, dict]:
    environ = RequestFactory().post(PATH, data=json.dumps(body), content_type="application/json",
                                    HTTP_AUTHORIZATION=auth).environ
    got: dict = {}
    result = application(environ, lambda status, headers, exc_info=None: got.update(status=status))
    data = b"".join(result)
    if hasattr(result, "close"):
        result.close()  # Django's request_finished: this thread's connection is closed
    return int(got["status"].split()[0]), json.loads(data)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_checks_is_read_and_logged_in_one_statement_with_every_answer_its_own(
    city, office, guard, window, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("requests are grouped on PostgreSQL; SQLite reads and logs each in turn (tested elsewhere)")
    cp = city.checkpoint_1.code
    guard_auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    liaison_auth = f"Bearer {token_create(user=f.user(Role.UNIT_LIAISON, city.dept_a), actor=SYSTEM)}"
    passes = [
        services.issue_vehicle_pass(actor=office, plate=f"吉A1234{i}", unit=city.dept_a, valid_from=window[0],
                                    valid_until=window[1], driver_name="赵师傅")
        for i in range(8)
    ]
    services.revoke_pass(actor=office, p=passes[7], reason="车辆报废")
    forged = passes[6].token[:-3] + ("AAA" if passes[6].token[-3:] != "AAA" else "BBB")
    # (request, expected status, expected verdict, logged, pass)
    cases = [({"token": p.token, "checkpoint": cp, "direction": "in" if i % 2 else "out"}, 200, "valid", True, p)
             for i, p in enumerate(passes[:5])]
    cases += [
        ({"token": passes[5].token, "checkpoint": cp, "log": False}, 200, "valid", False, passes[5]),
        ({"token": forged, "checkpoint": cp, "direction": "in"}, 200, "forged", True, passes[6]),
        ({"token": passes[7].token, "checkpoint": cp, "direction": "in"}, 200, "revoked", True, passes[7]),
    ]
    auths = [guard_auth] * len(cases) + ["Bearer fk_unknown_token", liaison_auth]
    cases += [({"token": passes[0].token, "checkpoint": cp}, 401, None, False, None),
              ({"token": passes[0].token}, 403, None, False, None)]

    sizes: list[int] = []
    real = fastpath._run_group

    def held_first(group):
        sizes.append(len(group))
        if len(sizes) == 1:  # hold the first group until every other request waits behind it
            # (the unknown API token among them does not: it is refused before its body is read)
            _until(lambda: len(fastpath.RUNNER._waiting) == len(cases) - 2)
        real(group)

    monkeypatch.setattr(fastpath, "_run_group", held_first)
    answers: list = [None] * len(cases)

    def send(k: int) -> None:
        try:
            answers[k] = _post(cases[k][0], auths[k])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(k,)) for k in range(len(cases))]
    threads[0].start()
    _until(lambda: bool(sizes))
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(20)
    assert sizes == [1, len(cases) - 2]
    for (body, status, verdict, logged, p), (got_status, got) in zip(cases, answers, strict=True):
        assert got_status == status, (body, got)
        if status != 200:
            continue
        assert (got["verdict"], got["pass_id"], got["pass_number"]) == (verdict, p.pk, p.number), (body, got)
        if not logged:
            assert got["check_id"] is None
            continue
        row = PassCheck.objects.get(pk=got["check_id"])
        assert (row.pass_obj_id, row.verdict, row.direction, row.checked_by_id, row.source) == (
            got["pass_id"], verdict, body.get("direction", ""), guard.pk, "api"
        )
    assert PassCheck.objects.count() == sum(1 for c in cases if c[3])


def test_the_passage_log_keeps_its_references_without_database_constraints(city, office, guard, staff_pass):
    """The log's references are kept by the platform: a checkpoint with logged checks cannot be
    deleted, and a deleted pass leaves its checks with the number and holder they logged."""
    from django.db.models import ProtectedError

    from fangkong.passes.models import Pass

    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    status, got = _post({"token": staff_pass.token, "checkpoint": city.checkpoint_1.code, "direction": "in"}, auth)
    assert status == 200 and got["verdict"] == "valid"
    check = PassCheck.objects.get(pk=got["check_id"])
    assert (check.pass_obj, check.checkpoint, check.checked_by) == (staff_pass, city.checkpoint_1, guard)
    with pytest.raises(ProtectedError) as refused:
        city.checkpoint_1.delete()
    assert check in refused.value.protected_objects
    Pass.objects.filter(pk=staff_pass.pk).delete()
    check.refresh_from_db()
    assert check.pass_obj is None and check.pass_number == staff_pass.number and check.holder


@pytest.mark.django_db
def test_array_literals_carry_any_text_exactly():
    """The group's parameters travel as PostgreSQL array literals: any text a token, holder or
    number can hold arrives unchanged."""
    if connection.vendor != "postgresql":
        pytest.skip("array literals are PostgreSQL's")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.text(st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=6))
    def round_trip(values):
        if any("\x00" in v for v in values):
            # PostgreSQL text holds no NUL: refused before anything is sent (requests carrying one
            # never reach a group: see test_a_nul_byte_fails_no_other_check_of_its_group).
            with pytest.raises(ValueError):
                fastpath._text_array(values)
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::text[]", [fastpath._text_array(values).decode()])
            assert cursor.fetchone()[0] == values

    round_trip()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[], %s::text[]", [fastpath._int_array([1, None, 2**40]).decode(),
                                                          fastpath._text_array([]).decode()])
        assert cursor.fetchone() == ([1, None, 2**40], [])  # an empty list is an empty array


def test_a_check_marks_its_api_token_used_at_most_every_five_minutes(city, guard, staff_pass):
    import datetime as dt

    from django.utils import timezone

    from fangkong.accounts.models import ApiToken

    key = token_create(user=guard, actor=SYSTEM)
    body = {"token": staff_pass.token, "checkpoint": city.checkpoint_1.code}
    ApiToken.objects.filter(user=guard).update(last_used_at=None)
    assert _post(body, f"Bearer {key}")[0] == 200
    first = ApiToken.objects.get(user=guard).last_used_at
    assert first is not None and abs(timezone.now() - first) < dt.timedelta(minutes=1)
    assert _post(body, f"Bearer {key}")[0] == 200
    assert ApiToken.objects.get(user=guard).last_used_at == first  # within five minutes: not written again
    ApiToken.objects.filter(user=guard).update(last_used_at=first - dt.timedelta(minutes=6))
    assert _post(body, f"Bearer {key}")[0] == 200
    assert ApiToken.objects.get(user=guard).last_used_at > first


@pytest.mark.django_db(transaction=True)
def test_a_nul_byte_fails_no_other_check_of_its_group(city, office, guard, staff_pass, monkeypatch):
    """A NUL from a caller (in the token, the number, the checkpoint, or a forged token's holder)
    is refused (422) or read as unreadable before any statement, so the checks waiting beside it
    in the same group are answered as usual (issue 20, item 4)."""
    if connection.vendor != "postgresql":
        pytest.skip("requests are grouped on PostgreSQL")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fangkong.passes import tokens

    cp = city.checkpoint_1.code
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    claims = tokens.unpack(tokens.split(staff_pass.token)[0])
    nul_holder = tokens.sign(tokens.PassClaims(**{**claims.__dict__, "holder": "张\x00三"}),
                             Ed25519PrivateKey.generate())
    cases = [
        ({"token": staff_pass.token, "checkpoint": cp, "direction": "in"}, 200),  # held first
        ({"token": "FK1:AB\u0000CD", "checkpoint": cp, "direction": "in"}, 422),
        ({"number": "S0\u00001", "checkpoint": cp}, 422),
        ({"token": staff_pass.token, "checkpoint": cp + "\u0000"}, 422),
        ({"token": nul_holder, "checkpoint": cp, "direction": "in"}, 200),  # unreadable: logged, no NUL
        ({"token": staff_pass.token, "checkpoint": cp, "direction": "out"}, 200),
    ]
    sizes: list[int] = []
    real = fastpath._run_group

    def held_first(group):
        sizes.append(len(group))
        if len(sizes) == 1:  # hold the first group until the two that reach the lean path wait
            _until(lambda: len(fastpath.RUNNER._waiting) == 2)
        real(group)

    monkeypatch.setattr(fastpath, "_run_group", held_first)
    answers: list = [None] * len(cases)

    def send(k: int) -> None:
        try:
            environ = RequestFactory().post(PATH, data=json.dumps(cases[k][0]),
                                            content_type="application/json", HTTP_AUTHORIZATION=auth).environ
            got: dict = {}
            result = application(environ, lambda status, headers, exc_info=None: got.update(status=status))
            data = b"".join(result)
            if hasattr(result, "close"):
                result.close()
            answers[k] = (int(got["status"].split()[0]), json.loads(data))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(k,)) for k in range(len(cases))]
    threads[0].start()
    _until(lambda: bool(sizes))
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(20)
    assert [a[0] for a in answers] == [status for _body, status in cases], answers
    assert sizes == [1, 2]
    assert answers[0][1]["verdict"] == "valid" and answers[5][1]["verdict"] == "valid"
    assert answers[4][1]["verdict"] == "unreadable"
    assert PassCheck.objects.count() == 3
