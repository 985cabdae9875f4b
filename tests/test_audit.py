"""The audit log: what it records, that it cannot be changed, and who reads it."""

import pytest
from django.db import DatabaseError, connection, transaction

from fangkong.accounts.services import user_grant
from fangkong.audit.models import AppendOnlyError, AuditEntry
from fangkong.people import services

from . import factories as f


def test_it_records_create_update_delete_with_before_and_after(city):
    office = f.user("committee_office", city.root)
    person = services.person_create(actor=office, name="记录", id_number=f.id_number(), unit=city.dept_a)
    pk = person.pk
    services.person_update(actor=office, person=person, title="科长")
    services.person_delete(actor=office, person=person)
    entries = list(AuditEntry.objects.filter(object_type="people.person", object_id=str(pk)).order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[0].after["name"] == "记录" and entries[0].actor == office
    assert entries[1].before == {"title": ""} and entries[1].after == {"title": "科长"}
    assert entries[2].before["name"] == "记录"
    # Sensitive values never reach the log in clear.
    assert entries[0].after["id_masked"] == person.masked_id_number and "*" in entries[0].after["id_masked"]
    assert not {"id_cipher", "id_digest", "phone_cipher", "phone_digest"} & set(entries[0].after)


def test_it_records_role_and_scope_changes(city):
    sec = f.user("security_admin", city.root)
    other = f.user("community_staff", city.comm_1)
    user_grant(actor=sec, user=other, role="community_staff", units=[city.street])
    entry = AuditEntry.objects.get(action="scope_changed", object_id=str(other.pk))
    assert entry.before["units"] == [city.comm_1.code] and entry.after["units"] == [city.street.code]
    user_grant(actor=sec, user=other, role="checkpoint_staff", units=[city.street])
    assert AuditEntry.objects.get(action="role_changed").after == {"role": "checkpoint_staff"}


def test_it_is_append_only_in_the_application(city):
    entry = AuditEntry.objects.first()
    assert entry is not None  # the city fixture's people were created through audited services
    entry.detail = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().update(detail="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_it_is_append_only_in_the_database(city):
    office = f.user("committee_office", city.root)
    services.person_create(actor=office, name="某", id_number=f.id_number(), unit=city.dept_a)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET detail = 'forged'")
    assert not AuditEntry.objects.filter(detail="forged").exists()


def test_it_shows_the_log_to_the_auditor_only(city, as_user):
    office = f.user("committee_office", city.root)
    services.person_create(actor=office, name="审计对象", id_number=f.id_number(), unit=city.dept_a)
    auditor = as_user(f.user("auditor", city.root))
    response = auditor.get("/audit/?action=create")
    assert response.status_code == 200 and "审计对象" in response.content.decode()
    for role in ("committee_office", "system_admin", "security_admin", "discipline_office"):
        assert as_user(f.user(role, city.root)).get("/audit/").status_code == 403
