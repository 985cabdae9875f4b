"""Issued documents reach each recipient unit's inbox; the designated person signs for it once;
the sender reminds those who have not; replies after the due date are accepted and flagged late."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.core import clock
from fangkong.documents import selectors, services
from fangkong.documents.models import DocumentRecipient
from fangkong.notify.models import Message
from fangkong.orgs.models import Unit
from tests import factories as f

from .conftest import sign_and_issue


@pytest.fixture
def issued(notice, office, leader):
    return sign_and_issue(notice, office, leader)


def _recipient(document, unit):
    return DocumentRecipient.objects.select_related("unit").get(document=document, unit=unit)


def test_issue_delivers_to_every_recipient_and_notifies_them(issued, city):
    rows = DocumentRecipient.objects.filter(document=issued)
    assert rows.count() == 3 and all(r.delivered_at for r in rows)
    assert Message.objects.filter(key__startswith="documents:issued:").count() == 3


def test_a_recipient_sees_the_issued_document_not_the_draft(notice, issued, city, liaison_a):
    from fangkong.documents.models import Document

    assert Document.objects.visible_to(liaison_a).filter(pk=issued.pk).exists()
    other = services.document_draft(actor=f.user("committee_office", city.committee), body=issued.body,
                                    kind=issued.kind, title="草稿", text="正文", main=[city.dept_a])
    assert not Document.objects.visible_to(liaison_a).filter(pk=other.pk).exists()


def test_the_designated_person_signs_for_it_once(issued, city, liaison_a):
    Unit.objects.filter(pk=city.dept_a.pk).update(liaison=city.alice)
    liaison_a.person = city.alice
    liaison_a.save()
    receipt = services.sign_for(actor=liaison_a, recipient=_recipient(issued, city.dept_a))
    assert receipt.signed_at and receipt.signed_by == liaison_a
    with pytest.raises(ValidationError, match="Already signed"):
        services.sign_for(actor=liaison_a, recipient=_recipient(issued, city.dept_a))


def test_someone_not_designated_or_of_another_unit_cannot_sign(issued, city, liaison_a):
    Unit.objects.filter(pk=city.dept_a.pk).update(liaison=city.alice)
    with pytest.raises(PermissionDenied):
        services.sign_for(actor=liaison_a, recipient=_recipient(issued, city.dept_a))  # not alice
    with pytest.raises(PermissionDenied):
        services.sign_for(actor=liaison_a, recipient=_recipient(issued, city.dept_b))  # another unit
    assert not DocumentRecipient.objects.filter(signed_at__isnull=False).exists()


def test_reminders_go_to_those_who_have_not_signed(issued, city, office, liaison_a):
    services.sign_for(actor=liaison_a, recipient=_recipient(issued, city.dept_a))
    assert services.remind_unsigned(actor=office, document=issued) == 2
    assert _recipient(issued, city.dept_b).reminders == 1
    assert _recipient(issued, city.dept_a).reminders == 0


def test_a_late_reply_is_accepted_and_flagged(issued, city, liaison_a):
    clock.freeze(dt.date(2020, 2, 6))
    try:
        reply = services.reply_submit(actor=liaison_a, recipient=_recipient(issued, city.dept_a), text="已排查，无")
    finally:
        clock.unfreeze()
    assert reply.late is True
    assert _recipient(issued, city.dept_a).signed_at is not None
    with pytest.raises(ValidationError):
        services.reply_submit(actor=liaison_a, recipient=_recipient(issued, city.dept_a), text="再报")


def test_an_early_reply_is_not_late_and_overdue_counts_the_missing(issued, city, liaison_a):
    clock.freeze(dt.date(2020, 2, 4))
    try:
        reply = services.reply_submit(actor=liaison_a, recipient=_recipient(issued, city.dept_a), text="已排查")
    finally:
        clock.unfreeze()
    assert reply.late is False
    overdue = selectors.replies_overdue(DocumentRecipient.objects.all(), dt.date(2020, 2, 7))
    assert list(overdue.values_list("unit", flat=True)) == [city.dept_b.pk]
