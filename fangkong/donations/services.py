"""Writing the donations line. Pages, the API, the imports and the demo all come through here.

The stock never goes below zero: every movement locks its item's balance row in its store
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite takes the write lock at the start of the
transaction, ``transaction_mode = IMMEDIATE`` in settings) before it reads the balance, so of two
distributions racing for the last units one waits for the other and is then refused. The database
refuses a negative balance as well (``donations_balance_not_negative``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core import clock
from fangkong.core.actors import user_of
from fangkong.core.scoping import scope_unit_ids, unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from . import public
from .choices import Category, DistributionStatus, DonorKind, MoveKind, NeedStatus, Source
from .models import (
    Adjustment,
    Allocation,
    Conversion,
    Distribution,
    Donor,
    Intake,
    Item,
    Measure,
    Need,
    Pledge,
    Receipt,
    SigningLink,
    StockBalance,
    StockMove,
    Store,
    SupplierLead,
    TraceLink,
)

if TYPE_CHECKING:
    from fangkong.core.actors import Actor

MAX_QUANTITY = Decimal("100000000")
LINK_DAYS = 3
DEFAULT_BASIS = "按市委组织部统一安排"
NEED_KINDS = (UnitKind.COMMUNITY, UnitKind.CHECKPOINT, UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT)


def _require(actor: Actor, perm: str) -> None:
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _in_scope(actor: Actor, unit_id: int | None) -> None:
    if not unit_in_scope(actor, unit_id):
        raise PermissionDenied(_("This unit is outside your scope."))


def _changed() -> None:
    """The public list changes when this transaction commits."""
    transaction.on_commit(public.bump)


def _numbered(obj: Any, prefix: str) -> None:
    """Save with a number made from the row's id (no two writers can draw the same one)."""
    obj.number = f"~{secrets.token_hex(8)}"
    obj.save()
    obj.number = f"{prefix}{obj.pk:06d}"
    type(obj).objects.filter(pk=obj.pk).update(number=obj.number)


# -- quantities ----------------------------------------------------------------------------


def parse_quantity(value: Any, field: str = "quantity") -> Decimal:
    """A positive decimal quantity from user input."""
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationError({field: [_("The quantity must be greater than zero.")]})
    if quantity >= MAX_QUANTITY:
        raise ValidationError({field: [_("The quantity is too large.")]})
    return quantity


def to_item_quantity(item: Item, value: Any, measure: Measure | None = None, *, field: str = "quantity") -> Decimal:
    """``value`` in ``measure`` as a quantity of ``item`` in its own unit: converted when an exact
    conversion is recorded (1 公斤 = 2 斤) or the measure is the item's pack; refused otherwise,
    and refused when the result has a fraction the item's unit does not allow (1.5 副)."""
    quantity = parse_quantity(value, field)
    target = item.measure
    if measure is not None and measure.pk != target.pk:
        if item.pack_size and item.pack_name == measure.name:
            factor = Decimal(item.pack_size)
        else:
            conversion = Conversion.objects.filter(source=measure, target=target).first()
            if conversion is None:
                raise ValidationError({field: [
                    _("%(item)s is counted in %(unit)s; %(other)s cannot be converted exactly.")
                    % {"item": item.name, "unit": target.name, "other": measure.name}]})
            factor = conversion.factor
        quantity = quantity * factor
    if not target.allows_fraction and quantity != quantity.to_integral_value():
        raise ValidationError({field: [
            _("%(item)s is counted in whole %(unit)s; %(quantity)s is not a whole number.")
            % {"item": item.name, "unit": target.name, "quantity": fmt(quantity)}]})
    if quantity.as_tuple().exponent < -3:  # type: ignore[operator]
        raise ValidationError({field: [_("At most three decimal places.")]})
    return quantity


def fmt(quantity: Decimal) -> str:
    """A quantity as people write it: 7000, 12.5 (no trailing zeros, no exponent)."""
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- catalogue -----------------------------------------------------------------------------


@transaction.atomic
def measure_create(*, actor: Actor, name: str, allows_fraction: bool = False) -> Measure:
    _require(actor, "donations.change")
    measure = Measure(name=clean_text(name, max_length=10), allows_fraction=allows_fraction)
    measure.full_clean()
    measure.save()
    audit_change(actor=actor, obj=measure, before=None)
    return measure


@transaction.atomic
def conversion_create(*, actor: Actor, source: Measure, target: Measure, factor: Decimal) -> Conversion:
    _require(actor, "donations.change")
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A unit converts to another unit.")]})
    conversion = Conversion(source=source, target=target, factor=parse_quantity(factor, "factor"))
    conversion.full_clean()
    conversion.save()
    audit_change(actor=actor, obj=conversion, before=None)
    return conversion


@transaction.atomic
def item_create(*, actor: Actor, name: str, category: str, measure: Measure, pack_name: str = "",
                pack_size: int | None = None) -> Item:
    _require(actor, "donations.change")
    if category not in Category.values:
        raise ValidationError({"category": [_("Choose a category.")]})
    if bool(pack_name) != bool(pack_size):
        raise ValidationError({"pack_size": [_("A pack needs both its name and how many units it holds.")]})
    item = Item(name=clean_text(name, max_length=40), category=category, measure=measure,
                pack_name=clean_text(pack_name, max_length=10), pack_size=pack_size or None)
    item.full_clean()
    item.save()
    audit_change(actor=actor, obj=item, before=None)
    return item


@transaction.atomic
def store_create(*, actor: Actor, name: str, unit: Unit, address: str = "") -> Store:
    _require(actor, "donations.change")
    _in_scope(actor, unit.pk)
    store = Store(name=clean_text(name, max_length=60), unit=unit, address=clean_text(address, max_length=200))
    store.full_clean()
    store.save()
    audit_change(actor=actor, obj=store, before=None)
    return store


# -- donors, pledges, supplier leads -------------------------------------------------------


@transaction.atomic
def donor_create(*, actor: Actor, kind: str, name: str = "", unit: Unit | None = None, person: Any = None,
                 contact: str = "", public_name: str = "", anonymous: bool = False) -> Donor:
    """A donor. A department or party organisation is a unit of the tree, a party member a
    person; their name comes from there."""
    _require(actor, "donations.change")
    if kind not in DonorKind.values:
        raise ValidationError({"kind": [_("Choose the kind of donor.")]})
    if kind in (DonorKind.DEPARTMENT, DonorKind.PARTY_ORG):
        if unit is None:
            raise ValidationError({"unit": [_("Choose the unit from the organisation tree.")]})
        _in_scope(actor, unit.pk)
        name = unit.name
    elif kind == DonorKind.MEMBER:
        if person is None:
            raise ValidationError({"person": [_("Choose the party member.")]})
        unit = person.unit
        name = person.name
    if not (name or "").strip():
        raise ValidationError({"name": [_("Enter the donor's name.")]})
    donor = Donor(kind=kind, name=clean_text(name, max_length=100), unit=unit, person=person,
                  contact=clean_text(contact, max_length=100), public_name=clean_text(public_name, max_length=100),
                  anonymous=anonymous)
    donor.full_clean()
    donor.save()
    audit_change(actor=actor, obj=donor, before=None)
    _changed()
    return donor


@transaction.atomic
def pledge_create(*, actor: Actor, donor: Donor, item: Item, quantity: Any, measure: Measure | None = None,
                  pledged_on: dt.date | None = None, expected_on: dt.date | None = None, note: str = "") -> Pledge:
    _require(actor, "donations.change")
    pledge = Pledge(donor=donor, item=item, quantity=to_item_quantity(item, quantity, measure),
                    pledged_on=pledged_on or clock.today(), expected_on=expected_on,
                    note=clean_text(note, max_length=200))
    pledge.full_clean()
    pledge.save()
    audit_change(actor=actor, obj=pledge, before=None)
    return pledge


@transaction.atomic
def lead_create(*, actor: Actor, item: Item, supplier: str, price: Any, quantity_available: Any,
                unit: Unit, contact: str = "", offered_by: Any = None, offered_on: dt.date | None = None,
                measure: Measure | None = None) -> SupplierLead:
    """A purchase channel offered by a member."""
    _require(actor, "donations.change")
    _in_scope(actor, unit.pk)
    try:
        price_value = Decimal(str(price))
    except InvalidOperation:
        raise ValidationError({"price": [_("Enter a number.")]}) from None
    if not price_value.is_finite() or price_value < 0:
        raise ValidationError({"price": [_("The price cannot be negative.")]})
    lead = SupplierLead(item=item, supplier=clean_text(supplier, max_length=100), price=price_value,
                        quantity_available=to_item_quantity(item, quantity_available, measure,
                                                            field="quantity_available"),
                        contact=clean_text(contact, max_length=100), offered_by=offered_by, unit=unit,
                        offered_on=offered_on or clock.today())
    lead.full_clean()
    lead.save()
    audit_change(actor=actor, obj=lead, before=None)
    return lead


# -- the stock card ------------------------------------------------------------------------


def _locked_balance(store: Store, item: Item) -> StockBalance:
    """The balance row of ``item`` in ``store``, locked for this transaction (created at zero
    the first time)."""
    StockBalance.objects.get_or_create(store=store, item=item, defaults={"balance": Decimal(0)})
    return StockBalance.objects.select_for_update().get(store=store, item=item)


def _move(*, store: Store, item: Item, delta: Decimal, kind: str, document: str, day: dt.date,
          **source: Any) -> StockMove:
    """One line on the stock card and the balance after it. Refuses to go below zero."""
    row = _locked_balance(store, item)
    after = row.balance + delta
    if after < 0:
        raise ValidationError({"quantity": [
            _("Only %(balance)s %(unit)s of %(item)s are in %(store)s.")
            % {"balance": fmt(row.balance), "unit": item.measure.name, "item": item.name, "store": store.name}]})
    StockBalance.objects.filter(pk=row.pk).update(balance=after)
    return StockMove.objects.create(store=store, item=item, kind=kind, quantity=delta, balance_after=after,
                                    document=document, moved_on=day, **source)


def _consume(*, store: Store, item: Item, quantity: Decimal, **target: Any) -> None:
    """Take ``quantity`` from the intakes still in the store, oldest first, and record where it
    came from (the balance row is already locked, so no other writer consumes them now)."""
    left = quantity
    for intake in (Intake.objects.select_for_update().filter(store=store, item=item, remaining__gt=0)
                   .order_by("received_on", "id")):
        if left <= 0:
            break
        take = min(left, intake.remaining)
        Intake.objects.filter(pk=intake.pk).update(remaining=intake.remaining - take)
        TraceLink.objects.create(intake=intake, quantity=take, **target)
        left -= take


@transaction.atomic
def intake_record(
    *, actor: Actor, store: Store, item: Item, quantity: Any, measure: Measure | None = None,
    source: str = Source.DONATED, donor: Donor | None = None, pledge: Pledge | None = None,
    lead: SupplierLead | None = None, received_on: dt.date | None = None, received_by: str = "",
    condition: str = "good", note: str = "", photo: UploadedFile | None = None,
) -> Intake:
    """入库: goods received into a store (donated by ``donor``, perhaps against ``pledge``, or
    purchased through ``lead``)."""
    _require(actor, "donations.change")
    _in_scope(actor, store.unit_id)
    amount = to_item_quantity(item, quantity, measure)
    if pledge is not None:
        if donor is not None and pledge.donor_id != donor.pk:
            raise ValidationError({"pledge": [_("This pledge is another donor's.")]})
        if pledge.item_id != item.pk:
            raise ValidationError({"pledge": [_("This pledge is for another item.")]})
        donor = pledge.donor
    if source == Source.DONATED and donor is None:
        raise ValidationError({"donor": [_("A donation needs its donor.")]})
    if source == Source.PURCHASED and lead is not None and lead.item_id != item.pk:
        raise ValidationError({"lead": [_("This supplier lead is for another item.")]})
    if source not in Source.values:
        raise ValidationError({"source": [_("Choose donated or purchased.")]})
    day = received_on or clock.today()
    if day > clock.today():
        raise ValidationError({"received_on": [_("The date is in the future.")]})
    entered = f"{fmt(parse_quantity(quantity))} {measure.name}" if measure and measure.pk != item.measure_id else ""
    intake = Intake(
        source=source, donor=donor, pledge=pledge, lead=lead, item=item, store=store, quantity=amount,
        remaining=amount, entered_as=entered, received_on=day,
        received_by=clean_text(received_by or str(actor), max_length=60), condition=condition,
        note=clean_text(note, max_length=200), recorded_by=user_of(actor),
    )
    if photo is not None:
        intake.photo = photo
    intake.number = "~"
    intake.full_clean(exclude=["number", "photo"])
    _numbered(intake, "RK")
    _move(store=store, item=item, delta=amount, kind=MoveKind.INTAKE, document=intake.number, day=day, intake=intake)
    audit_change(actor=actor, obj=intake, before=None)
    _changed()
    return intake


@transaction.atomic
def adjustment_record(*, actor: Actor, store: Store, item: Item, quantity: Any, write_off: bool = False,
                      reason: str, approved_by: str, measure: Measure | None = None) -> Adjustment:
    """A stock-take correction (+ or −) or a write-off (−), with its reason and approver. What
    leaves the store is taken from the intakes first in, first out, like a distribution."""
    _require(actor, "donations.change")
    _in_scope(actor, store.unit_id)
    text = str(quantity).strip()
    negative = text.startswith("-") or write_off
    amount = to_item_quantity(item, text.lstrip("-"), measure)
    reason = clean_text(reason, max_length=200)
    approved_by = clean_text(approved_by, max_length=60)
    if not reason:
        raise ValidationError({"reason": [_("Say why the stock changes.")]})
    if not approved_by:
        raise ValidationError({"approved_by": [_("Name who approved it.")]})
    delta = -amount if negative else amount
    adjustment = Adjustment(kind=MoveKind.WRITE_OFF if write_off else MoveKind.ADJUSTMENT, store=store, item=item,
                            quantity=delta, reason=reason, approved_by=approved_by, recorded_by=user_of(actor))
    _numbered(adjustment, "TZ")
    _move(store=store, item=item, delta=delta, kind=adjustment.kind, document=adjustment.number, day=clock.today(),
          adjustment=adjustment)
    if negative:
        _consume(store=store, item=item, quantity=amount, adjustment=adjustment)
    audit_change(actor=actor, obj=adjustment, before=None)
    _changed()
    return adjustment


# -- needs and allocation ------------------------------------------------------------------


@transaction.atomic
def need_raise(*, actor: Actor, unit: Unit, item: Item, quantity: Any, measure: Measure | None = None,
               needed_by: dt.date | None = None, reason: str) -> Need:
    """需求: a community, checkpoint or unit asks for goods."""
    _require(actor, "donations.need")
    _in_scope(actor, unit.pk)
    if unit.kind not in NEED_KINDS:
        raise ValidationError({"unit": [_("Needs are raised by a community, checkpoint, street or unit.")]})
    reason = clean_text(reason, max_length=200)
    if not reason:
        raise ValidationError({"reason": [_("Say what it is needed for.")]})
    if needed_by is not None and needed_by < clock.today():
        raise ValidationError({"needed_by": [_("The date is in the past.")]})
    need = Need(unit=unit, item=item, quantity=to_item_quantity(item, quantity, measure), needed_by=needed_by,
                reason=reason, raised_on=clock.today(), raised_by=user_of(actor))
    need.full_clean()
    need.save()
    audit_change(actor=actor, obj=need, before=None)
    return need


@transaction.atomic
def need_decline(*, actor: Actor, need: Need) -> Need:
    _require(actor, "donations.approve")
    need = Need.objects.select_for_update().get(pk=need.pk)
    _in_scope(actor, need.unit_id)
    if need.status != NeedStatus.OPEN:
        raise ValidationError(_("Only an open need can be declined."))
    before = snapshot(need)
    need.status = NeedStatus.DECLINED
    need.save(update_fields=["status"])
    audit_change(actor=actor, obj=need, before=before)
    return need


@transaction.atomic
def allocation_approve(*, actor: Actor, need: Need, store: Store, quantity: Any, basis: str = DEFAULT_BASIS,
                       approver_name: str = "") -> Allocation:
    """调拨方案: approve meeting a need from a store; the approver and the basis are recorded."""
    _require(actor, "donations.approve")
    need = Need.objects.select_for_update().select_related("item__measure").get(pk=need.pk)
    _in_scope(actor, need.unit_id)
    _in_scope(actor, store.unit_id)
    if need.status != NeedStatus.OPEN:
        raise ValidationError(_("This need is no longer open."))
    amount = to_item_quantity(need.item, quantity)
    basis = clean_text(basis, max_length=200)
    if not basis:
        raise ValidationError({"basis": [_("State the basis of the allocation.")]})
    allocation = Allocation(need=need, store=store, quantity=amount, basis=basis, approved_by=user_of(actor),
                            approver_name=clean_text(approver_name or str(actor), max_length=60),
                            approved_on=clock.today())
    allocation.full_clean()
    allocation.save()
    before = snapshot(need)
    need.status = NeedStatus.ALLOCATED
    need.save(update_fields=["status"])
    audit_change(actor=actor, obj=allocation, before=None)
    audit_change(actor=actor, obj=need, before=before)
    return allocation


# -- distribution and receipts -------------------------------------------------------------


@transaction.atomic
def distribution_create(
    *, actor: Actor, store: Store, item: Item | None = None, to_unit: Unit | None = None, quantity: Any,
    allocation: Allocation | None = None, carrier: str = "", vehicle: str = "", dispatched_on: dt.date | None = None,
    measure: Measure | None = None,
) -> Distribution:
    """发放: goods leave a store for a receiving unit (from an approved allocation plan, or
    directly). Refused when the store holds less than that, also when another distribution takes
    the last units at the same moment."""
    _require(actor, "donations.change")
    _in_scope(actor, store.unit_id)
    if allocation is not None:
        item = allocation.need.item
        to_unit = allocation.need.unit
        if allocation.store_id != store.pk:
            raise ValidationError({"store": [_("The allocation plan names another store.")]})
    if item is None or to_unit is None:
        raise ValidationError(_("Choose the item and the receiving unit."))
    amount = to_item_quantity(item, quantity, measure)
    day = dispatched_on or clock.today()
    distribution = Distribution(allocation=allocation, store=store, item=item, to_unit=to_unit, quantity=amount,
                                carrier=clean_text(carrier, max_length=60), vehicle=clean_text(vehicle, max_length=20),
                                dispatched_on=day, recorded_by=user_of(actor))
    _numbered(distribution, "FF")
    _move(store=store, item=item, delta=-amount, kind=MoveKind.DISTRIBUTION, document=distribution.number, day=day,
          distribution=distribution)
    _consume(store=store, item=item, quantity=amount, distribution=distribution)
    audit_change(actor=actor, obj=distribution, before=None)
    _changed()
    return distribution


def _may_sign(actor: Actor, distribution: Distribution) -> bool:
    """A user of the receiving unit: the sign permission and a scope that holds the unit without
    being the whole city (the materials group does not sign for what it sends)."""
    return (user_has_perm(actor, "donations.sign") and user_of(actor) is not None
            and scope_unit_ids(actor) is not None and unit_in_scope(actor, distribution.to_unit_id))


def _receipt(*, distribution: Distribution, signer_name: str, signer_role: str, quantity_received: Any,
             discrepancy: str, photo: UploadedFile | None, signed_by: Any, by_link: bool,
             corrects: Receipt | None = None) -> Receipt:
    try:
        received = Decimal(str(quantity_received).strip())
    except InvalidOperation:
        raise ValidationError({"quantity_received": [_("Enter a number.")]}) from None
    if not received.is_finite() or received < 0:
        raise ValidationError({"quantity_received": [_("The quantity cannot be negative.")]})
    if not distribution.item.measure.allows_fraction and received != received.to_integral_value():
        raise ValidationError({"quantity_received": [_("%(unit)s are counted whole.")
                                                     % {"unit": distribution.item.measure.name}]})
    discrepancy = clean_text(discrepancy, max_length=200)
    if received != distribution.quantity and not discrepancy:
        raise ValidationError({"discrepancy": [
            _("%(got)s received of %(sent)s sent: say what is missing or damaged.")
            % {"got": fmt(received), "sent": fmt(distribution.quantity)}]})
    receipt = Receipt(distribution=distribution, corrects=corrects, signed_by=signed_by,
                      signer_name=clean_text(signer_name, max_length=60), signer_role=signer_role[:60],
                      signed_at=clock.now(), quantity_received=received, discrepancy=discrepancy, by_link=by_link)
    if photo is not None:
        receipt.photo = photo
    receipt.full_clean(exclude=["photo", "corrects"] if corrects is None else ["photo"])
    receipt.save()
    return receipt


def _role_label(actor: Actor) -> str:
    from fangkong.accounts.roles import Role

    role = getattr(actor, "role", "")
    return str(Role(role).label) if role in Role.values else ""


@transaction.atomic
def receipt_sign(*, actor: Actor, distribution: Distribution, quantity_received: Any, discrepancy: str = "",
                 photo: UploadedFile | None = None) -> Receipt:
    """签收 by a logged-in user of the receiving unit. Signing twice is refused."""
    distribution = Distribution.objects.select_for_update().select_related("item__measure").get(pk=distribution.pk)
    if not _may_sign(actor, distribution):
        raise PermissionDenied(_("Only a user of the receiving unit may sign for it."))
    if distribution.status == DistributionStatus.SIGNED:
        raise ValidationError(_("This distribution is already signed for; a correction is a new document."))
    user = user_of(actor)
    person = getattr(user, "person", None)
    receipt = _receipt(distribution=distribution, signer_name=getattr(person, "name", "") or str(actor),
                       signer_role=_role_label(actor), quantity_received=quantity_received,
                       discrepancy=discrepancy, photo=photo, signed_by=user, by_link=False)
    Distribution.objects.filter(pk=distribution.pk).update(status=DistributionStatus.SIGNED)
    audit_change(actor=actor, obj=receipt, before=None)
    _changed()
    return receipt


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def signing_link_create(*, actor: Actor, distribution: Distribution, receiver_name: str,
                        receiver_role: str) -> tuple[SigningLink, str]:
    """A one-time signing link for a named receiver. The token is returned once and only its
    hash is kept."""
    _require(actor, "donations.change")
    _in_scope(actor, distribution.store.unit_id)
    if distribution.status == DistributionStatus.SIGNED:
        raise ValidationError(_("This distribution is already signed for; a correction is a new document."))
    receiver_name = clean_text(receiver_name, max_length=60)
    if not receiver_name:
        raise ValidationError({"receiver_name": [_("Name the receiver.")]})
    token = secrets.token_urlsafe(24)
    link = SigningLink.objects.create(
        distribution=distribution, receiver_name=receiver_name,
        receiver_role=clean_text(receiver_role, max_length=60) or _("Receiver"),
        token_hash=_token_hash(token), expires_at=clock.real_now() + dt.timedelta(days=LINK_DAYS),
    )
    audit_change(actor=actor, obj=link, before=None)
    return link, token


def link_for_token(token: str) -> SigningLink | None:
    """The unused, unexpired link of a token, or None (all failures look the same)."""
    if not token or len(token) > 64:
        return None
    link = (SigningLink.objects.select_related("distribution__item__measure", "distribution__to_unit",
                                               "distribution__store")
            .filter(token_hash=_token_hash(token)).first())
    if link is None or link.used_at is not None or link.expires_at <= clock.real_now():
        return None
    return link


@transaction.atomic
def receipt_sign_by_link(*, token: str, quantity_received: Any, discrepancy: str = "",
                         photo: UploadedFile | None = None) -> Receipt:
    """签收 through a one-time link: the named receiver signs; the link is spent."""
    from fangkong.core.actors import SYSTEM

    link = link_for_token(token)
    if link is None:
        raise PermissionDenied(_("This signing link is not valid (used, expired or unknown)."))
    link = SigningLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:
        raise PermissionDenied(_("This signing link is not valid (used, expired or unknown)."))
    distribution = Distribution.objects.select_for_update().select_related("item__measure").get(
        pk=link.distribution_id)
    if distribution.status == DistributionStatus.SIGNED:
        raise ValidationError(_("This distribution is already signed for; a correction is a new document."))
    receipt = _receipt(distribution=distribution, signer_name=link.receiver_name, signer_role=link.receiver_role,
                       quantity_received=quantity_received, discrepancy=discrepancy, photo=photo, signed_by=None,
                       by_link=True)
    SigningLink.objects.filter(pk=link.pk).update(used_at=clock.real_now())
    Distribution.objects.filter(pk=distribution.pk).update(status=DistributionStatus.SIGNED)
    audit_change(actor=SYSTEM, obj=receipt, before=None)
    _changed()
    return receipt


@transaction.atomic
def receipt_correct(*, actor: Actor, receipt: Receipt, quantity_received: Any, discrepancy: str) -> Receipt:
    """A correction of a signed receipt: a new receipt naming the one it corrects (the signed one
    stays as it was). Made by a user of the receiving unit; one correction per receipt."""
    receipt = Receipt.objects.select_for_update().select_related("distribution__item__measure").get(pk=receipt.pk)
    distribution = receipt.distribution
    if not _may_sign(actor, distribution):
        raise PermissionDenied(_("Only a user of the receiving unit may sign for it."))
    if Receipt.objects.filter(corrects=receipt).exists():
        raise ValidationError(_("This receipt is already corrected; correct the correction."))
    if not clean_text(discrepancy, max_length=200):
        raise ValidationError({"discrepancy": [_("Say what the correction is.")]})
    user = user_of(actor)
    person = getattr(user, "person", None)
    correction = _receipt(distribution=distribution, signer_name=getattr(person, "name", "") or str(actor),
                          signer_role=_role_label(actor), quantity_received=quantity_received,
                          discrepancy=discrepancy, photo=None, signed_by=user, by_link=False, corrects=receipt)
    audit_change(actor=actor, obj=correction, before=None)
    _changed()
    return correction


def receipt_edit(*, actor: Actor, receipt: Receipt, **changes: Any) -> None:
    """A signed receipt is never edited: always refused (a correction is ``receipt_correct``)."""
    raise ValidationError(_("A signed receipt cannot be changed; record a correction instead."))


@transaction.atomic
def certificate_issue(*, actor: Actor, donor: Donor) -> Donor:
    """Give a donor their certificate number (捐赠证书), once; the PDF shows what they gave."""
    _require(actor, "donations.change")
    donor = Donor.objects.select_for_update().get(pk=donor.pk)
    if donor.certificate_number:
        return donor
    if not Intake.objects.filter(donor=donor).exists():
        raise ValidationError(_("Nothing has been received from this donor yet."))
    before = snapshot(donor)
    year = clock.today().year
    donor.certificate_number = f"~{secrets.token_hex(6)}"
    donor.save(update_fields=["certificate_number"])
    issued = Donor.objects.filter(certificate_number__startswith=f"白直工捐〔{year}〕").count() + 1
    number = f"白直工捐〔{year}〕{issued}号"
    while Donor.objects.filter(certificate_number=number).exists():
        issued += 1
        number = f"白直工捐〔{year}〕{issued}号"
    donor.certificate_number = number
    donor.save(update_fields=["certificate_number"])
    audit_change(actor=actor, obj=donor, before=before)
    return donor


def balance_of(store: Store, item: Item) -> Decimal:
    row = StockBalance.objects.filter(store=store, item=item).values_list("balance", flat=True).first()
    return row if row is not None else Decimal(0)


def total_of(qs: models.QuerySet[Any], field: str = "quantity") -> Decimal:
    return qs.aggregate(total=models.Sum(field))["total"] or Decimal(0)
