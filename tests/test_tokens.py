"""API tokens have a life: they expire, they are revoked (by their user, by the security
administrator, from the console, by a password change or a deactivation), every path that reads
a token (the API, the lean verification path) refuses them alike, and every step is audited."""

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.accounts import services
from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.passes import services as pass_services

from . import factories as f
from .conftest import login_client
from .passes.test_fastpath import wsgi_post


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def guard(city):
    return f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1, username="guard")


@pytest.fixture
def staff_pass(city):
    office = f.user(Role.COMMITTEE_OFFICE, city.root)
    now = timezone.now()
    return pass_services.issue_staff_pass(actor=office, person=city.alice, valid_from=now - dt.timedelta(days=1),
                                          valid_until=now + dt.timedelta(days=9), zones=[city.comm_1])


def refused_everywhere(client, key, staff_pass, checkpoint):
    """The API (Django) and the lean verification path (its own SQL) both answer 401."""
    api = client.get("/api/v1/passes/keys", **bearer(key))
    lean = wsgi_post(json.dumps({"token": staff_pass.token, "checkpoint": checkpoint.code}), f"Bearer {key}")
    return api.status_code == 401 and lean.status_code == 401


def accepted_everywhere(client, key, staff_pass, checkpoint):
    api = client.get("/api/v1/passes/keys", **bearer(key))
    lean = wsgi_post(json.dumps({"token": staff_pass.token, "checkpoint": checkpoint.code}), f"Bearer {key}")
    return api.status_code == 200 and lean.status_code == 200 and lean.json()["verdict"] == "valid"


def test_an_expired_token_is_refused_by_the_api_and_the_lean_verify_path(city, guard, staff_pass, client):
    key = services.token_create(user=guard, actor=SYSTEM)
    assert accepted_everywhere(client, key, staff_pass, city.checkpoint_1)
    ApiToken.objects.filter(user=guard).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert refused_everywhere(client, key, staff_pass, city.checkpoint_1)
    assert services.token_user(key) is None


def test_a_revoked_token_is_refused_by_the_api_and_the_lean_verify_path(city, guard, staff_pass, client):
    key = services.token_create(user=guard, actor=SYSTEM)
    assert accepted_everywhere(client, key, staff_pass, city.checkpoint_1)
    token = ApiToken.objects.get(user=guard)
    assert services.token_revoke(actor=guard, token=token) is True
    assert refused_everywhere(client, key, staff_pass, city.checkpoint_1)
    assert services.token_revoke(actor=guard, token=token) is False  # once is enough, and audited once
    entries = AuditEntry.objects.filter(action="token_revoked", object_id=str(token.pk))
    assert [(e.actor_id, e.after["reason"]) for e in entries] == [(guard.pk, "user")]


def test_tokens_expire_after_90_days_by_default_or_the_days_asked(city, guard):
    before = timezone.now()
    services.token_create(user=guard, actor=SYSTEM)
    services.token_create(user=guard, days=7, actor=SYSTEM)
    lives = sorted(t.expires_at - before for t in ApiToken.objects.filter(user=guard))
    assert dt.timedelta(days=7) <= lives[0] < dt.timedelta(days=7, minutes=1)
    assert dt.timedelta(days=90) <= lives[1] < dt.timedelta(days=90, minutes=1)
    with pytest.raises(ValidationError, match="365"):
        services.token_create(user=guard, days=366, actor=SYSTEM)


def test_last_used_is_written_at_most_once_a_minute(city, guard):
    key = services.token_create(user=guard, actor=SYSTEM)
    token = ApiToken.objects.get(user=guard)
    assert token.last_used_at is None

    def writes():
        with CaptureQueriesContext(connection) as queries:
            assert services.token_user(key) == guard
        return sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries)

    assert writes() == 1
    assert writes() == 0  # within the minute: read only
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(seconds=61))
    assert writes() == 1


def test_a_password_change_revokes_every_token(city, guard, staff_pass, client):
    keys = [services.token_create(user=guard, actor=SYSTEM), services.token_create(user=guard, actor=SYSTEM)]
    services.password_change(user=guard, new_password="Xin-Mima-2020")
    for key in keys:
        assert refused_everywhere(client, key, staff_pass, city.checkpoint_1)
    assert set(ApiToken.objects.values_list("revoke_reason", "revoked_by_id")) == {("password", guard.pk)}
    assert AuditEntry.objects.filter(action="token_revoked", actor=guard).count() == 2


def test_a_password_change_on_the_page_revokes_the_tokens(city, guard):
    key = services.token_create(user=guard, actor=SYSTEM)
    response = login_client(guard).post(
        "/accounts/password/",
        {"old_password": f.PASSWORD, "new_password": "Xin-Mima-2020", "new_password2": "Xin-Mima-2020"},
    )
    assert response.status_code == 302
    assert services.token_user(key) is None


def test_a_password_set_outside_the_services_revokes_them_too(city, guard):
    """What Django's ``changepassword`` command, the admin and a shell do: set_password and save."""
    key = services.token_create(user=guard, actor=SYSTEM)
    guard.set_password("Xin-Mima-2020")
    guard.save()
    assert services.token_user(key) is None
    entry = AuditEntry.objects.get(action="token_revoked")
    assert entry.actor is None and entry.after["reason"] == "password" and entry.detail == "console"


def test_deactivation_revokes_the_tokens_for_good(city, guard):
    key = services.token_create(user=guard, actor=SYSTEM)
    admin = f.user(Role.SYSTEM_ADMIN, city.root)
    services.user_set_active(actor=admin, user=guard, active=False)
    services.user_set_active(actor=admin, user=guard, active=True)
    assert services.token_user(key) is None  # reactivating the account does not wake its tokens
    assert ApiToken.objects.get(user=guard).revoke_reason == "deactivated"


def test_create_token_prints_it_once_and_revoke_token_takes_it_back(city, guard, client):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "guard", "--days", "3", "--name", "扫码枪", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=guard)
    assert token.prefix == key[:12] and token.prefix in err.getvalue() and key not in err.getvalue()
    assert dt.timedelta(days=2, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=3)
    created = AuditEntry.objects.get(action="token_created")
    assert created.actor is None and created.detail == "console" and key not in json.dumps(created.after)
    assert client.get("/api/v1/passes/keys", **bearer(key)).status_code == 200

    call_command("revoke_token", token.prefix, stdout=io.StringIO())
    assert client.get("/api/v1/passes/keys", **bearer(key)).status_code == 401
    assert ApiToken.objects.get(pk=token.pk).revoke_reason == "console"
    with pytest.raises(CommandError):
        call_command("revoke_token", "fk_nosuchone")
    with pytest.raises(CommandError):
        call_command("create_token", "guard", "--days", "0")


def test_revoke_token_all_of_a_user(city, guard):
    keys = [services.token_create(user=guard, actor=SYSTEM) for _ in range(3)]
    other = services.token_create(user=f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1), actor=SYSTEM)
    services.token_revoke(actor=guard, token=ApiToken.objects.get(prefix=keys[0][:12]))
    out = io.StringIO()
    call_command("revoke_token", "--user", "guard", "--all", stdout=out)
    assert out.getvalue().startswith("2 ")
    assert all(services.token_user(k) is None for k in keys) and services.token_user(other) is not None
    with pytest.raises(CommandError):
        call_command("revoke_token", "--user", "guard")  # --all must be said
    with pytest.raises(CommandError):
        call_command("revoke_token", keys[1][:12], "--user", "guard", "--all")


def test_a_user_sees_creates_and_revokes_their_own_tokens_on_the_page(city, guard):
    old = services.token_create(user=guard, name="旧扫码枪", actor=SYSTEM)
    stranger = services.token_create(user=f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1), name="别人的", actor=SYSTEM)
    client = login_client(guard)
    page = client.get("/accounts/tokens/")
    html = page.content.decode()
    assert page.status_code == 200 and old[:12] in html and "旧扫码枪" in html
    assert stranger[:12] not in html and old not in html  # the prefix only, and only one's own
    assert "no-store" in page["Cache-Control"]

    wrong = client.post("/accounts/tokens/", {"name": "新", "days": "30", "password": "wrong"})
    assert wrong.status_code == 400 and ApiToken.objects.filter(user=guard).count() == 1
    made = client.post("/accounts/tokens/", {"name": "新扫码枪", "days": "30", "password": f.PASSWORD})
    assert made.status_code == 201 and "no-store" in made["Cache-Control"]
    new = ApiToken.objects.get(user=guard, name="新扫码枪")
    key = made.content.decode().split('id="new-token">')[1].split("<")[0]
    assert services.token_user(key) == guard and new.prefix == key[:12]
    assert key not in client.get("/accounts/tokens/").content.decode()  # shown once
    assert AuditEntry.objects.get(action="token_created", object_id=str(new.pk)).actor_id == guard.pk

    mine = ApiToken.objects.get(prefix=old[:12])
    assert client.post(f"/accounts/tokens/{mine.pk}/revoke/").status_code == 302
    assert services.token_user(old) is None
    theirs = ApiToken.objects.get(prefix=stranger[:12])
    assert client.post(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
    assert services.token_user(stranger) is not None


def test_administrators_get_tokens_only_from_the_console(city):
    secadmin = f.user(Role.SECURITY_ADMIN, city.root)
    client = login_client(secadmin)
    assert 'id="token-create"' not in client.get("/accounts/tokens/").content.decode()
    assert client.post("/accounts/tokens/", {"days": "30", "password": f.PASSWORD}).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_security_admin_sees_and_revokes_tokens_within_their_scope(city):
    secadmin = f.user(Role.SECURITY_ADMIN, city.street)
    inside_user = f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1, username="inside")
    outside_user = f.user(Role.UNIT_LIAISON, city.dept_a, username="outside")
    inside, outside = services.token_create(user=inside_user, actor=SYSTEM), services.token_create(user=outside_user, actor=SYSTEM)
    client = login_client(secadmin)
    html = client.get("/accounts/tokens/all/").content.decode()
    assert inside[:12] in html and outside[:12] not in html
    assert client.get("/accounts/tokens/all/?user=outside").status_code == 404

    outside_token = ApiToken.objects.get(prefix=outside[:12])
    assert client.post(f"/accounts/tokens/{outside_token.pk}/revoke/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.token_revoke(actor=secadmin, token=outside_token)
    assert services.token_user(outside) is not None

    assert client.post(f"/accounts/users/{inside_user.pk}/tokens/revoke/").status_code == 302
    assert services.token_user(inside) is None
    entry = AuditEntry.objects.get(action="token_revoked")
    assert entry.actor_id == secadmin.pk and entry.after == {"prefix": inside[:12], "reason": "admin"}
    # Other roles have no such page.
    assert login_client(inside_user).get("/accounts/tokens/all/").status_code == 403


def test_the_lean_path_and_the_model_say_the_same_about_which_tokens_live(city, guard, staff_pass):
    """One rule in two forms (``ApiToken.objects.live`` and ``ApiToken.LIVE_SQL`` in the lean
    path): a token at each edge of it gets the same answer from both."""
    now = timezone.now()
    cases = {
        "live": {},
        "expired": {"expires_at": now - dt.timedelta(seconds=1)},
        "revoked": {"revoked_at": now},
        "revoked_and_expired": {"revoked_at": now, "expires_at": now - dt.timedelta(days=1)},
    }
    for name, change in cases.items():
        key = services.token_create(user=guard, name=name, actor=SYSTEM)
        ApiToken.objects.filter(name=name).update(**change)
        lean = wsgi_post(json.dumps({"token": staff_pass.token, "checkpoint": city.checkpoint_1.code}), f"Bearer {key}")
        model = ApiToken.objects.live(timezone.now()).filter(name=name).exists()
        assert (lean.status_code == 200) == model == (name == "live"), name


def test_tokens_are_made_for_oneself_only_on_the_web(city, guard):
    other = f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1)
    with pytest.raises(PermissionDenied):
        services.token_create(user=other, actor=guard)
    assert Client().get("/accounts/tokens/").status_code == 302  # login first
