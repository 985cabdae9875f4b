"""The deployment API: scoped secondment lists, create/place/end, figures, shifts with gaps,
assignments refused at two places at once, check-in and no-shows."""

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.deployment import services
from fangkong.deployment.models import Secondment
from tests import factories as f

from .conftest import DAY, at


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


@pytest.fixture
def office(city):
    return bearer(f.user("committee_office", city.root))


def post(client, url, auth, data):
    return client.post(url, data, content_type="application/json", **auth)


def test_it_creates_places_and_ends_a_secondment(city, client, office, checkpoint_2):
    liaison = bearer(f.user("unit_liaison", city.dept_a))
    created = post(client, "/api/v1/deployment/secondments", liaison, {
        "person_id": city.alice.pk, "department_id": city.dept_a.pk, "starts_on": "2020-02-01"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["unit_id"] is None and body["department_name"] == city.dept_a.name
    placed = post(client, f"/api/v1/deployment/secondments/{body['id']}/place", office,
                  {"unit_id": checkpoint_2.pk, "role": "team_leader"})
    assert placed.status_code == 200 and placed.json()["unit_name"] == "光明路卡点"
    ended = post(client, f"/api/v1/deployment/secondments/{body['id']}/end", liaison, {"ends_on": "2020-02-20"})
    assert ended.json()["ends_on"] == "2020-02-20"
    again = post(client, "/api/v1/deployment/secondments", liaison, {
        "person_id": city.alice.pk, "department_id": city.dept_a.pk, "starts_on": "2020-02-10"})
    assert again.status_code == 400 and "person" in again.json()["detail"]


def test_lists_are_scoped(city, client, seconded):
    a, b = seconded
    liaison_a = bearer(f.user("unit_liaison", city.dept_a))
    ids = [r["id"] for r in client.get("/api/v1/deployment/secondments", **liaison_a).json()["results"]]
    assert ids == [a.pk]
    assert client.get(f"/api/v1/deployment/secondments/{b.pk}", **liaison_a).status_code == 404
    street = bearer(f.user("community_staff", city.street))
    ids = {r["id"] for r in client.get("/api/v1/deployment/secondments", **street).json()["results"]}
    assert ids == {a.pk, b.pk}
    unplaced = client.get("/api/v1/deployment/secondments?placed=false", **street).json()
    assert unplaced["count"] == 0


def test_figures_as_of_a_date(city, client, office, seconded):
    body = client.get("/api/v1/deployment/figures?as_of=2020-02-15", **office).json()
    assert body["cadres_seconded"] == 2 and body["streets"] == 1 and body["communities"] == 1
    assert body["checkpoints"] == 0 and body["departments_sending"] == 2
    assert client.get("/api/v1/deployment/figures?as_of=2020-01-15", **office).json()["cadres_seconded"] == 0


def test_shifts_assignments_conflicts_check_in_and_no_shows(city, client, office, seconded, checkpoint_2):
    made = post(client, "/api/v1/deployment/shifts", office, {
        "checkpoint_id": city.checkpoint_1.pk, "starts_at": at(DAY, 8).isoformat(),
        "ends_at": at(DAY, 16).isoformat(), "staff_needed": 2})
    assert made.status_code == 201 and made.json()["gap"] == 2
    other = services.shift_create(actor=SYSTEM, checkpoint=checkpoint_2, starts_at=at(DAY, 9), ends_at=at(DAY, 17))
    sid = made.json()["id"]
    ok = post(client, f"/api/v1/deployment/shifts/{sid}/assignments", office, {"person_id": city.bob.pk})
    assert ok.status_code == 201
    clash = post(client, f"/api/v1/deployment/shifts/{other.pk}/assignments", office, {"person_id": city.bob.pk})
    assert clash.status_code == 400 and "江北路卡点" in str(clash.json()["detail"])
    post(client, f"/api/v1/deployment/shifts/{sid}/assignments", office, {"person_id": city.alice.pk})
    gaps = client.get("/api/v1/deployment/shifts?gaps=true&day=2020-02-15", **office).json()
    assert [s["id"] for s in gaps["results"]] == [other.pk]
    checked = services.check_in(actor=SYSTEM, person=city.alice, checkpoint=city.checkpoint_1,
                                at=at(DAY, 7, 55))
    assert checked.checked_in_by == "office"
    missing = client.get(f"/api/v1/deployment/no-shows?at={at(DAY, 9).isoformat().replace('+', '%2B')}", **office)
    assert [r["person_id"] for r in missing.json()] == [city.bob.pk]
    nowhere = post(client, "/api/v1/deployment/check-in", office, {
        "person_id": city.alice.pk, "checkpoint_id": checkpoint_2.pk, "at": at(DAY, 9).isoformat()})
    assert nowhere.status_code == 400


def test_checkpoint_staff_cannot_see_other_checkpoints(city, client, seconded, checkpoint_2):
    shift = services.shift_create(actor=SYSTEM, checkpoint=checkpoint_2, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    staff = bearer(f.user("checkpoint_staff", city.checkpoint_1))
    assert client.get(f"/api/v1/deployment/shifts/{shift.pk}/assignments", **staff).status_code == 404
    assert client.get("/api/v1/deployment/shifts", **staff).json()["count"] == 0
    refused = post(client, "/api/v1/deployment/check-in", staff, {
        "person_id": city.bob.pk, "checkpoint_id": checkpoint_2.pk, "at": at(DAY, 9).isoformat()})
    assert refused.status_code == 404
    assert Secondment.objects.count() == 2


def test_community_staff_roster_the_cadres_seconded_to_them_and_no_one_else(city, client, seconded):
    """Community staff command cadres who belong to departments elsewhere in the tree: those
    seconded into their community can be put on a shift; a person with no tie to the community
    does not exist for them (no name or placement leaks through an error)."""
    staff = bearer(f.user("community_staff", city.comm_1))
    shift = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    ok = post(client, f"/api/v1/deployment/shifts/{shift.pk}/assignments", staff, {"person_id": city.alice.pk})
    assert ok.status_code == 201
    stranger = post(client, f"/api/v1/deployment/shifts/{shift.pk}/assignments", staff, {"person_id": city.dave.pk})
    assert stranger.status_code == 404 and "dave" not in stranger.content.decode().lower()
    now = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1,
                                starts_at=timezone.now() - dt.timedelta(minutes=30),
                                ends_at=timezone.now() + dt.timedelta(hours=7))
    services.assign(actor=SYSTEM, shift=now, person=city.alice)
    checked = post(client, "/api/v1/deployment/check-in", staff, {
        "person_id": city.alice.pk, "checkpoint_id": city.checkpoint_1.pk})
    assert checked.status_code == 200
    assert post(client, "/api/v1/deployment/check-in", staff, {
        "person_id": city.dave.pk, "checkpoint_id": city.checkpoint_1.pk}
    ).status_code == 404


def test_check_in_time_and_who_come_from_the_server(city, client, office, seconded):
    """A check-in sent for a shift days ago is refused (the no-show stays), a time ahead of the
    server's clock counts as now, and ``by`` is derived from the signed-in user, whatever the
    client sends."""
    past = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8),
                                 ends_at=at(DAY, 16))
    services.assign(actor=SYSTEM, shift=past, person=city.bob)
    back_dated = post(client, "/api/v1/deployment/check-in", office, {
        "person_id": city.bob.pk, "checkpoint_id": city.checkpoint_1.pk, "at": at(DAY, 7, 55).isoformat(),
        "by": "self"})
    assert back_dated.status_code == 400 and "detail" in back_dated.json()
    missing = client.get(f"/api/v1/deployment/no-shows?at={at(DAY, 9).isoformat().replace('+', '%2B')}", **office)
    assert [r["person_id"] for r in missing.json()] == [city.bob.pk]

    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    shift = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=start,
                                  ends_at=start + dt.timedelta(hours=8))
    services.assign(actor=SYSTEM, shift=shift, person=city.alice)
    sent = timezone.now()
    ahead = post(client, "/api/v1/deployment/check-in", office, {
        "person_id": city.alice.pk, "checkpoint_id": city.checkpoint_1.pk,
        "at": (sent + dt.timedelta(hours=3)).isoformat(), "by": "self"})
    assert ahead.status_code == 200, ahead.content
    body = ahead.json()
    assert body["checked_in_by"] == "office"
    assert sent <= dt.datetime.fromisoformat(body["checked_in_at"]) <= timezone.now()
