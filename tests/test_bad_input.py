"""Hostile or careless input gets a clear error or is ignored safely."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from fangkong.accounts.models import User
from fangkong.accounts.services import user_grant
from fangkong.core.actors import SYSTEM
from fangkong.people import services
from fangkong.people.models import Person

from . import factories as f

XSS = "<img src=x onerror=alert(1)>"


def test_it_escapes_markup_in_names_everywhere(city, as_user):
    person = f.person(city.dept_a, XSS)
    office = as_user(f.user("committee_office", city.root))
    for url in ["/people/", f"/people/{person.pk}/", f"/people/{person.pk}/edit/"]:
        html = office.get(url).content.decode()
        assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html, url
    admin_user = f.user("system_admin", city.root)
    admin_user.is_staff = True
    admin_user.save()
    unit = f.unit("department", city.committee, XSS)
    html = as_user(admin_user).get(f"/admin/orgs/unit/?q={unit.code}").content.decode()
    assert XSS not in html and "&lt;img" in html


def test_it_refuses_a_ten_thousand_character_name(city):
    with pytest.raises(ValidationError) as exc:
        f.person(city.dept_a, "长" * 10_000)
    assert "name" in exc.value.message_dict


@pytest.mark.parametrize("name", ["张\x00三", "张\x1b三", "\u202e三张", "张\u2066三"])
def test_it_refuses_control_and_direction_override_characters(city, name):
    with pytest.raises(ValidationError) as exc:
        f.person(city.dept_a, name)
    assert "name" in exc.value.message_dict


def test_it_shows_a_clear_error_for_an_invalid_id_in_the_form(city, as_user):
    client = as_user(f.user("committee_office", city.root))
    response = client.post("/people/new/", {"name": "新人", "id_number": "110105194912310021", "unit": city.dept_a.pk,
                                            "position": "staff", "phone": "12345"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "check digit" in html or "校验位" in html
    assert "11 digits" in html or "11位" in html
    assert not Person.objects.filter(name="新人").exists()


def test_it_refuses_a_duplicate_id_number(city):
    with pytest.raises(ValidationError) as exc:
        f.person(city.dept_b, "重复", id_number=city.alice.id_number.lower())
    assert "id_number" in exc.value.message_dict


def test_it_caps_page_size_on_pages_and_refuses_it_in_the_api(city, as_user, client):
    """More people than the cap (200): a page asked for a million rows shows 200 and a second
    page; the API answers 200 rows at its maximum and refuses anything above it."""
    from fangkong.core.views import MAX_PAGE_SIZE

    assert MAX_PAGE_SIZE == 200
    for i in range(MAX_PAGE_SIZE + 3 - 5):
        f.person(city.dept_a, f"分页{i:03d}")
    office = f.user("committee_office", city.root)
    page = as_user(office).get("/people/?page_size=1000000")
    assert page.status_code == 200
    assert len(page.context["page_obj"].object_list) == MAX_PAGE_SIZE
    assert page.context["page_obj"].paginator.num_pages == 2
    assert len(as_user(office).get("/people/?page_size=1000000&page=2").context["page_obj"].object_list) == 3
    from fangkong.accounts.services import token_create

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=office, actor=SYSTEM)}"}
    full = client.get(f"/api/v1/people?page_size={MAX_PAGE_SIZE}", **auth).json()
    assert (full["count"], full["page_size"], len(full["results"])) == (MAX_PAGE_SIZE + 3, MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    for size in (MAX_PAGE_SIZE + 1, 1000000):
        response = client.get(f"/api/v1/people?page_size={size}", **auth)
        assert response.status_code == 422
        assert "page_size" in response.content.decode()


def test_it_ignores_ordering_by_unknown_fields(city, as_user, client):
    office = f.user("committee_office", city.root)
    page = as_user(office).get("/people/?ordering=password")
    assert page.status_code == 200 and "李爱丽" in page.content.decode()
    from fangkong.accounts.services import token_create

    token = token_create(user=office, actor=SYSTEM)
    response = client.get("/api/v1/people?ordering=password", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["count"] == 5
    ordered = client.get("/api/v1/people?ordering=-name", HTTP_AUTHORIZATION=f"Bearer {token}").json()["results"]
    assert ordered[0]["name"] == "赵春兰"


def test_it_refuses_posts_without_csrf_token(city):
    user = f.user("committee_office", city.root)
    from .conftest import login_client

    client = login_client(user)
    client.handler.enforce_csrf_checks = True
    response = client.post(f"/people/{city.alice.pk}/delete/")
    assert response.status_code == 403
    assert Person.objects.filter(pk=city.alice.pk).exists()
    login = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": user.username, "password": f.PASSWORD})
    assert login.status_code == 403


def test_it_refuses_self_granted_scope_or_role(city):
    sec = f.user("security_admin", city.street)
    with pytest.raises(PermissionDenied):
        user_grant(actor=sec, user=sec, role="security_admin", units=[city.root])
    other = f.user("community_staff", city.comm_1)
    with pytest.raises(PermissionDenied):
        user_grant(actor=sec, user=other, role="community_staff", units=[city.root])
    liaison = f.user("unit_liaison", city.dept_a)
    with pytest.raises(PermissionDenied):
        user_grant(actor=liaison, user=other, role="committee_office", units=[city.comm_1])
    other.refresh_from_db()
    assert other.role == "community_staff"
    assert list(other.scopes.values_list("unit_id", flat=True)) == [city.comm_1.pk]


def test_it_refuses_grant_through_the_page_for_a_narrow_admin(city, as_user):
    sec = f.user("security_admin", city.street)
    other = f.user("community_staff", city.comm_1)
    client = as_user(sec)
    response = client.post(f"/accounts/users/{other.pk}/grant/", {"role": "community_staff", "units": [city.root.pk]})
    assert response.status_code == 302
    assert list(User.objects.get(pk=other.pk).scopes.values_list("unit_id", flat=True)) == [city.comm_1.pk]


def test_it_refuses_a_person_in_a_unit_outside_the_actor_scope(city):
    liaison = f.user("unit_liaison", city.dept_a)
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=liaison, name="越权", id_number=f.id_number(), unit=city.dept_b)
    assert "unit" in exc.value.message_dict
