"""People: search, masking and reveal, export."""

import io

from python_calamine import CalamineWorkbook

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.people.models import Person

from . import factories as f


def names(response):
    html = response.content.decode()
    return {p.name for p in Person.objects.all() if p.name in html}


def test_it_searches_by_name_initials_and_phone_tail(city, as_user):
    client = as_user(f.user("committee_office", city.root))
    assert names(client.get("/people/", {"q": "春兰"})) == {"赵春兰"}
    assert names(client.get("/people/", {"q": "zcl"})) == {"赵春兰"}
    assert names(client.get("/people/", {"q": "ZC"})) == {"赵春兰"}
    assert names(client.get("/people/", {"q": city.bob.phone[-4:]})) == {"王博"}
    assert names(client.get("/people/", {"q": city.dave.id_number.lower()})) == {"钱大为"}


def test_it_filters_by_unit_subtree(city, as_user):
    client = as_user(f.user("committee_office", city.root))
    assert names(client.get("/people/", {"unit": city.street.pk})) == {"赵春兰", "钱大为", "孙二娥"}
    assert names(client.get("/people/", {"unit": city.comm_1.pk})) == {"赵春兰", "孙二娥"}


def test_it_answers_htmx_with_the_table_only(city, as_user):
    client = as_user(f.user("committee_office", city.root))
    response = client.get("/people/", {"q": "zcl"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html and "<html" not in html and "赵春兰" in html


def test_it_masks_id_and_phone_in_lists(city, as_user):
    client = as_user(f.user("committee_office", city.root))
    html = client.get("/people/").content.decode()
    assert city.alice.id_number not in html and city.alice.phone not in html
    assert city.alice.masked_id_number in html


def test_it_reveals_on_request_and_audits_each_reveal(city, as_user):
    user = f.user("unit_liaison", city.dept_a)
    client = as_user(user)
    detail = client.get(f"/people/{city.alice.pk}/").content.decode()
    assert city.alice.id_number not in detail
    response = client.post(f"/people/{city.alice.pk}/reveal/id_number/")
    assert response.status_code == 200 and city.alice.id_number in response.content.decode()
    entry = AuditEntry.objects.get(action="reveal", actor=user)
    assert entry.object_id == str(city.alice.pk) and entry.detail == "id_number"


def test_it_refuses_reveal_to_roles_without_the_right(city, as_user):
    client = as_user(f.user("inspection_group", city.root))
    response = client.post(f"/people/{city.alice.pk}/reveal/id_number/")
    assert response.status_code == 403
    assert city.alice.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_it_exports_masked_for_roles_without_reveal_and_audits_the_count(city, as_user):
    user = f.user("inspection_group", city.root)
    response = as_user(user).get("/people/export/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 6
    flat = " ".join(str(c) for row in rows for c in row)
    assert city.alice.id_number not in flat and city.alice.masked_id_number in flat
    entry = AuditEntry.objects.get(action="export", actor=user)
    assert "rows=5" in entry.detail


def test_it_neutralises_formulas_in_exports(city, as_user):
    f.person(city.dept_a, "=HYPERLINK(1)", title="+cmd|' /C calc'!A0")
    response = as_user(f.user("committee_office", city.root)).get("/people/export/", {"q": "HYPERLINK"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[1][7].startswith("'+")


def test_it_derives_sex_birth_year_and_initials(city):
    assert city.alice.name_initials == "lal"
    assert city.alice.birth_year == 1985
    assert city.alice.sex in {"M", "F"}


def test_it_serves_photos_only_inside_scope(city, as_user, settings, tmp_path):
    import base64

    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.people import services

    settings.MEDIA_ROOT = tmp_path
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    services.person_update(actor=SYSTEM, person=city.alice, photo=SimpleUploadedFile("a.png", png, "image/png"))
    inside = as_user(f.user("unit_liaison", city.dept_a)).get(f"/people/{city.alice.pk}/photo/")
    assert inside.status_code == 200 and b"".join(inside.streaming_content) == png
    outside = as_user(f.user("unit_liaison", city.dept_b)).get(f"/people/{city.alice.pk}/photo/")
    assert outside.status_code == 404
