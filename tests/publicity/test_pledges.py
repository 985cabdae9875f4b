"""Pledges: each signature a party member of the tree, once; a personal share link whose opens
count once per browser and day; forged links count nothing; the public pages need no login."""

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from fangkong.core.actors import SYSTEM
from fangkong.publicity import services
from fangkong.publicity.models import PledgeSignature, ShareCount
from fangkong.publicity.public import share_figures
from tests import factories as f
from tests.conftest import login_client


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_member_signs_once(city, pledge, member_user):
    signature = services.pledge_sign(actor=member_user, pledge=pledge)
    assert signature.person == city.alice and signature.branch == city.branch_a and len(signature.share_code) == 12
    with pytest.raises(ValidationError):
        services.pledge_sign(actor=member_user, pledge=pledge)
    assert PledgeSignature.objects.count() == 1


def test_someone_outside_the_party_tree_cannot_sign(city, pledge):
    """bob is not a party member; an account without a person has nobody to sign for."""
    office = f.user("committee_office", city.root)
    with pytest.raises(ValidationError):
        services.pledge_sign(actor=office, pledge=pledge, person=city.bob)
    with pytest.raises(ValidationError):
        services.pledge_sign(actor=office, pledge=pledge)
    orphan = f.person(city.dept_b, "无支部", is_party_member=True)  # a member with no branch in the tree
    with pytest.raises(ValidationError):
        services.pledge_sign(actor=office, pledge=pledge, person=orphan)
    checkpoint = f.user("checkpoint_staff", city.checkpoint_1)
    with pytest.raises(PermissionDenied):
        services.pledge_sign(actor=checkpoint, pledge=pledge, person=city.alice)
    assert not PledgeSignature.objects.exists()


def test_the_page_signs_and_shows_the_link_and_qr(city, pledge, member_user):
    web = login_client(member_user)
    page = web.get(f"/publicity/pledges/{pledge.pk}/")
    assert page.status_code == 200 and 'id="sign-button"' in page.content.decode()
    assert web.post(f"/publicity/pledges/{pledge.pk}/", {}).status_code == 302
    again = web.post(f"/publicity/pledges/{pledge.pk}/", {})
    assert again.status_code == 400
    html = web.get(f"/publicity/pledges/{pledge.pk}/").content.decode()
    code = PledgeSignature.objects.get().share_code
    assert f"/publicity/p/{code}/" in html and "data:image/svg+xml;base64," in html


def test_opens_count_once_per_browser_and_day_and_forgeries_count_nothing(city, pledge, member_user):
    signature = services.pledge_sign(actor=member_user, pledge=pledge)
    url = f"/publicity/p/{signature.share_code}/"
    first = Client()
    response = first.get(url)
    assert response.status_code == 200 and "接力承诺" in response.content.decode()
    assert "fk_visitor" in response.cookies and response.cookies["fk_visitor"]["httponly"]
    assert "<script" not in response.content.decode() and "style=" not in response.content.decode()
    first.get(url)  # replayed by the same browser (it sends its cookie back)
    assert share_figures(signature)["opens"] == 1
    # A replay that sends no cookie back, from the same address and agent, the same day: once.
    Client().get(url)
    assert share_figures(signature)["opens"] == 1
    Client(HTTP_USER_AGENT="another phone").get(url)
    assert share_figures(signature)["opens"] == 2
    assert Client().get("/publicity/p/forged123456/").status_code == 404
    assert Client().get("/publicity/p/" + "x" * 40 + "/").status_code == 404
    assert ShareCount.objects.count() == 2
    # An onward share from the page's own button counts; one from another site does not.
    assert first.post(f"{url}onward/", HTTP_SEC_FETCH_SITE="same-origin").status_code == 302
    assert first.post(f"{url}onward/", HTTP_SEC_FETCH_SITE="same-origin").status_code == 302
    assert Client().post(f"{url}onward/", HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert share_figures(signature) == {"opens": 2, "onward": 1}
    # The stored key is not the browser's id.
    assert response.cookies["fk_visitor"].value not in set(ShareCount.objects.values_list("visitor", flat=True))


def test_the_public_pages_need_no_login_and_are_cached(city, pledge, member_user, django_assert_max_num_queries):
    services.pledge_sign(actor=member_user, pledge=pledge)
    anonymous = Client()
    page = anonymous.get(f"/publicity/public/pledges/{pledge.slug}/")
    assert page.status_code == 200 and "public" in page["Cache-Control"]
    with django_assert_max_num_queries(1):  # the language cookie aside, the page comes from the cache
        assert anonymous.get(f"/publicity/public/pledges/{pledge.slug}/").status_code == 200
    deeds = anonymous.get("/publicity/public/deeds/")
    assert deeds.status_code == 200 and "<title>" in deeds.content.decode()


def test_sign_for_a_member_needs_the_member_in_scope(city, pledge):
    secretary = f.user("branch_secretary", city.branch_a)
    services.pledge_sign(actor=secretary, pledge=pledge, person=city.alice)
    other = f.person(city.dept_b, "外支部党员", is_party_member=True,
                     branch=f.unit("branch", city.dept_b, "市教育局党支部"))
    with pytest.raises(ValidationError):
        services.pledge_sign(actor=secretary, pledge=pledge, person=other)
    services.pledge_sign(actor=SYSTEM, pledge=pledge, person=other)
    assert PledgeSignature.objects.count() == 2
