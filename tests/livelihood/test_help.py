"""Help requests (代办帮办): registered by a community with a due time, assigned to a cadre placed
there, marked done on a phone, closed by the household's one-time link or the community's call;
overdue ones go yellow then red and remind."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.livelihood import services
from fangkong.livelihood.models import HelpRequest
from fangkong.livelihood.reminders import remind_overdue
from fangkong.livelihood.selectors import help_figures, light_of
from fangkong.notify.models import Message
from tests import factories as f
from tests.conftest import login_client

from .conftest import due_in


def register(actor, community, **extra):
    data = {"household": "王女士", "address": "江北路1号3单元201", "kind": "medicine", "details": "代购降压药",
            "due_at": due_in(4), "phone": "13912345678"}
    data.update(extra)
    return services.help_register(actor=actor, community=community, **data)


def test_it_refuses_a_request_without_a_due_time(city, community_staff):
    with pytest.raises(ValidationError) as exc:
        register(community_staff, city.comm_1, due_at=None)
    assert "due_at" in exc.value.message_dict
    assert not HelpRequest.objects.exists()


def test_it_refuses_a_household_outside_the_community(city, community_staff):
    """comm_2 is not the staff's community: refused, nothing stored."""
    with pytest.raises(ValidationError):
        register(community_staff, city.comm_2)
    with pytest.raises(ValidationError):
        register(community_staff, city.checkpoint_1)  # not a community at all
    assert not HelpRequest.objects.exists()


def test_a_cadre_placed_elsewhere_cannot_be_assigned(city, community_staff):
    from fangkong.deployment import services as deployment

    elsewhere = deployment.secondment_create(actor=SYSTEM, person=city.bob, department=city.dept_b,
                                             unit=city.comm_2, starts_on=clock.today())
    with pytest.raises(ValidationError):
        register(community_staff, city.comm_1, assignee=elsewhere)


def test_the_phone_is_sealed_with_a_stored_mask(city, community_staff):
    request = register(community_staff, city.comm_1)
    request.refresh_from_db()
    assert request.phone_masked == "139****5678"
    assert "13912345678" not in request.phone_cipher
    assert services.help_phone(request) == "13912345678"


def test_the_phone_is_revealed_only_with_the_permission_and_audited(city, community_staff):
    from fangkong.audit.models import AuditEntry

    request = register(community_staff, city.comm_1)
    response = login_client(community_staff).post(f"/livelihood/help/{request.pk}/reveal/phone/")
    assert response.status_code == 200 and "13912345678" in response.content.decode()
    assert AuditEntry.objects.filter(action="reveal").exists()
    inspector = login_client(f.user("inspection_group", city.root))
    page = inspector.get(f"/livelihood/help/{request.pk}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
    assert inspector.post(f"/livelihood/help/{request.pk}/reveal/phone/").status_code in (403, 404)
    assert login_client(community_staff).post(f"/livelihood/help/{request.pk}/reveal/address/").status_code == 404


def test_done_then_confirmed_once_by_the_household(city, community_staff, cadre, client):
    request = register(community_staff, city.comm_1, assignee=cadre)
    assert request.place_id == city.comm_1.pk
    request, token = services.help_mark_done(actor=community_staff, request=request, note="已送达")
    assert request.status == "done" and token not in request.confirm_digest
    page = client.get(f"/livelihood/confirm/{token}/")
    assert page.status_code == 200 and "代购降压药" in page.content.decode()
    assert "139" not in page.content.decode()  # no phone on the public page
    request.refresh_from_db()
    assert request.status == "done"  # a GET (a link preview) closes nothing
    closed = client.post(f"/livelihood/confirm/{token}/")
    assert closed.status_code == 200
    request.refresh_from_db()
    assert (request.status, request.closed_by) == ("closed", "household") and request.confirm_digest == ""
    # Used, replayed or forged: the same answer.
    assert client.post(f"/livelihood/confirm/{token}/").status_code == 404
    assert client.get(f"/livelihood/confirm/{token}/").status_code == 404
    assert client.post("/livelihood/confirm/forged-token/").status_code == 404


def test_a_new_link_replaces_the_old_one(city, community_staff):
    request = register(community_staff, city.comm_1, volunteer="志愿者小李")
    request, old = services.help_mark_done(actor=community_staff, request=request)
    new = services.help_new_link(actor=community_staff, request=request)
    assert services.help_confirm_by_household(token=old) is None
    assert services.help_confirm_by_household(token=new).status == "closed"


def test_the_community_closes_after_a_call(city, community_staff):
    request = register(community_staff, city.comm_1)
    services.help_confirm_by_call(actor=community_staff, request=request, note="电话确认")
    request.refresh_from_db()
    assert (request.status, request.closed_by) == ("closed", "call")
    with pytest.raises(ValidationError):
        services.help_confirm_by_call(actor=community_staff, request=request)


def test_other_scopes_cannot_touch_a_request(city, community_staff):
    request = register(community_staff, city.comm_1)
    other = f.user("community_staff", city.comm_2)
    with pytest.raises(PermissionDenied):
        services.help_mark_done(actor=other, request=request)
    liaison = f.user("unit_liaison", city.dept_a)
    with pytest.raises(PermissionDenied):
        services.help_confirm_by_call(actor=liaison, request=request)


def test_lights_turn_yellow_then_red_and_remind_once(city, community_staff, cadre):
    request = register(community_staff, city.comm_1, assignee=cadre, due_at=due_in(-2))
    now = clock.now()
    assert light_of(request, now) == "yellow"
    assert light_of(request, now + dt.timedelta(days=1)) == "red"
    assert light_of(request, now - dt.timedelta(hours=3)) == "green"
    assert remind_overdue(now) == 1  # the community (the cadre is placed at the community itself)
    assert remind_overdue(now) == 0
    assert remind_overdue(now + dt.timedelta(days=1)) == 1  # red: once more
    assert Message.objects.filter(unit=city.comm_1, key__startswith="livelihood:help:").count() == 2
    figures = help_figures(HelpRequest.objects.all(), now)
    assert (figures["help_open"], figures["help_overdue"]) == (1, 1)


def test_the_phone_page_marks_done_and_shows_the_link_once(city, community_staff):
    request = register(community_staff, city.comm_1)
    web = login_client(community_staff)
    page = web.get(f"/livelihood/help/{request.pk}/")
    assert page.status_code == 200 and 'id="mark-done"' in page.content.decode()
    done = web.post(f"/livelihood/help/{request.pk}/", {"action": "done", "note": "已送达"})
    html = done.content.decode()
    assert done.status_code == 200 and "/livelihood/confirm/" in html
    again = web.get(f"/livelihood/help/{request.pk}/").content.decode()
    assert "/livelihood/confirm/" not in again


def test_the_form_refuses_a_missing_due_time(city, community_staff):
    web = login_client(community_staff)
    response = web.post("/livelihood/help/new/", {"community": city.comm_1.pk, "household": "王女士", "address": "x",
                                                  "kind": "groceries", "details": "代购"})
    assert response.status_code == 400
    assert not HelpRequest.objects.exists()
    response = web.post("/livelihood/help/new/", {"community": city.comm_2.pk, "household": "王女士", "address": "x",
                                                  "kind": "groceries", "details": "代购",
                                                  "due_at": "2020-02-25T18:00"})
    assert response.status_code == 400
    assert not HelpRequest.objects.exists()
