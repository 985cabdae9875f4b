"""Writes of the notification app: channels, messages and their deliveries, delivery attempts.

A message is stored with one delivery per channel in the same transaction; the sending itself
happens after commit, in the background worker (``tasks.deliver``), one delivery at a time, so a
channel that is down delays only its own deliveries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core import clock
from fangkong.core.actors import is_system, user_of
from fangkong.core.scoping import unit_in_scope, user_has_perm

from . import selectors, senders, texts
from .choices import ChannelKind, DeliveryKind, DeliveryStatus, MessageFormat, MessageKind
from .models import Channel, Delivery, Message

if TYPE_CHECKING:
    from fangkong.accounts.models import User
    from fangkong.core.actors import Actor
    from fangkong.orgs.models import Unit

# While one worker sends a delivery, no other worker picks it up for this long.
CLAIM_SECONDS = 120
TASK_BATCH = 20


def _check_target(kind: str, target: str, secret: str) -> str:
    target = target.strip()
    if not target:
        raise ValidationError({"target": _("Enter the email addresses or the webhook URL.")})
    if kind == ChannelKind.EMAIL:
        addresses = senders.split_addresses(target)
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"target": _("%(address)s is not a valid email address.") % {"address": address}}
                ) from None
        return ", ".join(addresses)
    try:
        URLValidator(schemes=["http", "https"])(target)
    except ValidationError:
        raise ValidationError(
            {"target": _("The webhook URL must be a full http:// or https:// address.")}
        ) from None
    if secret and kind != ChannelKind.DINGTALK:
        raise ValidationError({"secret": _("Only DingTalk robots use a signing secret.")})
    return target


@transaction.atomic
def channel_create(
    *, actor: Actor, unit: Unit, kind: str, target: str, secret: str = "",
    msg_format: str = MessageFormat.MARKDOWN,
) -> Channel:
    if not user_has_perm(actor, "notify.change"):
        raise PermissionDenied(_("Your role may not configure notification channels."))
    if not unit_in_scope(actor, unit.pk):
        raise ValidationError({"unit": _("This unit is outside your scope.")})
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": _("Choose a channel.")})
    channel = Channel(
        unit=unit, kind=kind, target=_check_target(kind, target, secret.strip()), secret=secret.strip(),
        msg_format=msg_format,
    )
    channel.full_clean()
    channel.save()
    audit_change(actor=actor, obj=channel, before=None)
    return channel


@transaction.atomic
def channel_delete(*, actor: Actor, channel: Channel) -> None:
    if not Channel.objects.editable_by(actor).filter(pk=channel.pk).exists():
        raise PermissionDenied(_("Your role may not configure notification channels."))
    before = snapshot(channel)
    audit_change(actor=actor, obj=channel, before=before, deleted=True)
    channel.delete()


@transaction.atomic
def channel_test(*, actor: Actor, channel: Channel) -> Delivery:
    """A test message on one channel only, so whoever configured it sees at once that it works."""
    if not Channel.objects.editable_by(actor).filter(pk=channel.pk).exists():
        raise PermissionDenied(_("Your role may not configure notification channels."))
    now = clock.real_now()
    subject, body = texts.channel_test(unit=channel.unit.name, sender=str(actor))
    message = Message.objects.create(
        unit=channel.unit, kind=MessageKind.TEST, key=f"test:{channel.pk}:{now.timestamp()}", subject=subject,
        body=body, created_by=user_of(actor),
    )
    audit_change(actor=actor, obj=message, before=None)
    return Delivery.objects.create(message=message, kind=channel.kind, channel=channel, next_attempt_at=now)


def _enqueue(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    from .tasks import deliver

    task = deliver.using(run_after=run_after) if run_after else deliver
    task.enqueue(delivery_id)


def _enqueue_all(delivery_ids: list[int]) -> None:
    from .tasks import deliver_batch

    # A few deliveries per task: one task per delivery would cost a row each, one task for all
    # would let one dead robot's timeouts hold up everybody else's messages.
    for i in range(0, len(delivery_ids), TASK_BATCH):
        deliver_batch.enqueue(delivery_ids[i : i + TASK_BATCH])


@dataclass(frozen=True)
class Outgoing:
    """One message to send: to ``unit``, for the occasion ``key``."""

    unit: Unit
    kind: str
    key: str
    subject: str
    body: str
    about_units: tuple[Unit, ...] = ()
    at: dt.datetime | None = None  # the business moment of the occasion (default: the clock's now)


def _store(items: list[Outgoing], actor: Actor) -> list[Message]:
    def build(item: Outgoing) -> Message:
        return Message(unit=item.unit, kind=item.kind, key=item.key, subject=item.subject[:200], body=item.body,
                       created_by=user_of(actor), created_at=item.at or clock.now())

    try:
        with transaction.atomic():
            return Message.objects.bulk_create([build(item) for item in items], batch_size=1000)
    except IntegrityError:
        pass
    # A concurrent pass stored some of these occasions first: store the others one by one.
    stored = []
    for item in items:
        message = build(item)
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            continue
        stored.append(message)
    return stored


@transaction.atomic
def messages_send(items: Sequence[Outgoing], *, actor: Actor) -> list[Message]:
    """Address messages to units: each gets an in-app notice for every responsible person of its
    unit and one delivery per active channel of the unit. Occasions (``key``) already sent are
    skipped, so running a reminder pass twice sends nothing twice. A fixed number of queries
    whatever the number of messages. Returns the messages stored now.

    ``actor``: ``SYSTEM`` for the reminder loop; a user may only address units (and name units)
    in their scope, else nothing is sent."""
    if not is_system(actor):
        units = {item.unit.pk for item in items} | {u.pk for item in items for u in item.about_units}
        if not user_has_perm(actor, "notify.view") or not all(unit_in_scope(actor, pk) for pk in units):
            raise PermissionDenied(_("You can only send messages to units in your scope."))
    by_key = {item.key: item for item in items}
    existing: set[str] = set()
    keys = list(by_key)
    for i in range(0, len(keys), 2000):
        existing.update(Message.objects.filter(key__in=keys[i : i + 2000]).values_list("key", flat=True))
    fresh = [item for key, item in by_key.items() if key not in existing]
    if not fresh:
        return []
    messages = _store(fresh, actor)
    Through = Message.about_units.through
    Through.objects.bulk_create(
        [Through(message_id=m.pk, unit_id=u.pk) for m in messages for u in dict.fromkeys(by_key[m.key].about_units)],
        batch_size=2000,
    )
    units = {m.unit_id for m in messages}
    people = selectors.responsible_user_ids([by_key[m.key].unit for m in messages])
    channels: dict[int, list[Channel]] = {}
    for channel in Channel.objects.filter(unit_id__in=units, is_active=True).order_by("id"):
        channels.setdefault(channel.unit_id, []).append(channel)
    now = clock.real_now()
    deliveries = []
    for message in messages:
        deliveries += [
            Delivery(message=message, kind=DeliveryKind.INAPP, user_id=user_id, status=DeliveryStatus.SENT,
                     attempts=1, sent_at=now)
            for user_id in sorted(people.get(message.unit_id, ()))
        ]
        deliveries += [
            Delivery(message=message, kind=channel.kind, channel=channel, next_attempt_at=now)
            for channel in channels.get(message.unit_id, [])
        ]
    created = Delivery.objects.bulk_create(deliveries, batch_size=2000)
    pending = [d.pk for d in created if d.status == DeliveryStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: _enqueue_all(pending))
    return messages


def message_send(
    *, actor: Actor, unit: Unit, kind: str, key: str, subject: str, body: str, about_units: Iterable[Unit] = (),
) -> Message | None:
    """One message (see ``messages_send``); None when this occasion was already sent."""
    sent = messages_send([Outgoing(unit=unit, kind=kind, key=key, subject=subject, body=body,
                                   about_units=tuple(about_units))], actor=actor)
    return sent[0] if sent else None


def delivery_attempt(delivery_id: int, *, now: dt.datetime | None = None) -> Delivery | None:
    """Try one delivery now if it is due. The claim (one UPDATE) keeps two workers, or the worker
    and the reminder loop's sweep, from sending the same delivery twice. Returns None when not due."""
    now = now or clock.real_now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("message", "channel").get(pk=delivery_id)
    delivery.attempts += 1
    try:
        if delivery.channel is None or not delivery.channel.is_active:
            raise senders.SendError(_("The channel was removed."))
        senders.send(delivery.message, delivery.channel)
    except senders.SendError as exc:
        delays: list[int] = settings.NOTIFY_RETRY_DELAYS
        delivery.last_error = str(exc)[:500]
        if delivery.attempts > len(delays):
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=delays[delivery.attempts - 1])
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.next_attempt_at = None
    delivery.save(update_fields=["attempts", "status", "last_error", "next_attempt_at", "sent_at"])
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at:
        _enqueue(delivery.pk, run_after=delivery.next_attempt_at)
    return delivery


def deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Attempt every delivery that is due (the sweep the reminder loop runs, in case the worker
    is not running). Returns how many were attempted."""
    now = now or clock.real_now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at").values_list("id", flat=True)[:limit]
    )
    return sum(1 for pk in due if delivery_attempt(pk, now=now) is not None)


@transaction.atomic
def delivery_retry(*, actor: Actor, delivery: Delivery) -> Delivery:
    """The office sends a failed delivery again now (e.g. after the robot's URL was fixed)."""
    if not Delivery.objects.editable_by(actor).filter(pk=delivery.pk).exists():
        raise PermissionDenied(_("Your role may not configure notification channels."))
    if delivery.status == DeliveryStatus.SENT:
        raise ValidationError(_("This message was already delivered."))
    before = snapshot(delivery)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = clock.real_now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    audit_change(actor=actor, obj=delivery, before=before)
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def inbox_mark_read(*, user: User, delivery_ids: Iterable[int] | None = None) -> int:
    qs = Delivery.objects.filter(user=user, kind=DeliveryKind.INAPP, read_at__isnull=True)
    if delivery_ids is not None:
        qs = qs.filter(pk__in=list(delivery_ids))
    return qs.update(read_at=clock.real_now())
