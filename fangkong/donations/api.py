"""The donations API: the catalogue, donors, pledges, supplier leads, intake, stock and the stock
card, needs and allocation, distributions, receipts and signing links, the figures. Every answer is
limited to the caller's scope; writes go through donations.services."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fangkong.core import clock
from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import user_has_perm
from fangkong.orgs.models import Unit

from . import selectors, services
from .filtersets import (
    DistributionFilterSet,
    DonorFilterSet,
    IntakeFilterSet,
    LeadFilterSet,
    NeedFilterSet,
    PledgeFilterSet,
    StockMoveFilterSet,
)
from .models import (
    Allocation,
    Distribution,
    Donor,
    Intake,
    Item,
    Measure,
    Need,
    Pledge,
    Receipt,
    StockBalance,
    StockMove,
    Store,
    SupplierLead,
)

router = Router(tags=["donations"])


def _q(user: Any, model: Any) -> Any:
    return model.objects.visible_to(user)


def _filtered(request: HttpRequest, model: Any, filterset: Any, filters: Any, pages: PageParams,
              *related: str) -> dict[str, Any]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    fs = filterset(data, queryset=_q(request.user, model).select_related(*related), request=request)
    qs = fs.qs if fs.is_valid() else model.objects.none()
    return paginate(qs, pages)


def _measure(name: str | None) -> Measure | None:
    if not name:
        return None
    if not Measure.objects.exists():
        # An installation whose tables were emptied (the go-live wipe) gets its units back.
        from .catalogue import ensure_measures

        ensure_measures()
    measure = Measure.objects.filter(name=name).first()
    if measure is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"measure": [_("Unknown unit of measure.")]})
    return measure


# -- catalogue -----------------------------------------------------------------------------


class DonationItemOut(Schema):
    id: int
    name: str
    category: str
    unit: str = Field(description="The unit of measure quantities of the item are counted in.")
    allows_fraction: bool
    pack_name: str
    pack_size: int | None

    @staticmethod
    def resolve_unit(obj: Item) -> str:
        return obj.measure.name

    @staticmethod
    def resolve_allows_fraction(obj: Item) -> bool:
        return obj.measure.allows_fraction


class StoreOut(Schema):
    id: int
    name: str
    unit_id: int


@router.get("/items", response=list[DonationItemOut], summary="Items and their units of measure")
def list_items(request: HttpRequest) -> Any:
    if not user_has_perm(request.user, "donations.view"):
        raise PermissionDenied
    return Item.objects.select_related("measure")


@router.get("/stores", response=list[StoreOut], summary="Stores in your scope")
def list_stores(request: HttpRequest) -> Any:
    return _q(request.user, Store)


class DonationItemIn(Schema):
    name: str
    category: str = Field(description="epidemic, warmth or living")
    unit: str = Field(description="The unit of measure, e.g. 斤, 副, 个, 件.")
    pack_name: str = ""
    pack_size: int | None = None


class StoreIn(Schema):
    name: str
    unit_id: int = Field(description="The unit that holds the store.")
    address: str = ""


@router.post("/items", response={201: DonationItemOut}, summary="Add an item to the catalogue")
def create_item(request: HttpRequest, payload: DonationItemIn) -> Status[Item]:
    from django.core.exceptions import ValidationError

    measure = _measure(payload.unit)
    if measure is None:
        raise ValidationError({"unit": [_("Unknown unit of measure.")]})
    return Status(201, services.item_create(actor=request.user, name=payload.name, category=payload.category,  # type: ignore[arg-type]
                                            measure=measure, pack_name=payload.pack_name,
                                            pack_size=payload.pack_size))


@router.post("/stores", response={201: StoreOut}, summary="Open a store")
def create_store(request: HttpRequest, payload: StoreIn) -> Status[Store]:
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.unit_id)  # type: ignore[attr-defined]
    return Status(201, services.store_create(actor=request.user, name=payload.name, unit=unit,  # type: ignore[arg-type]
                                             address=payload.address))


# -- donors, pledges, leads ----------------------------------------------------------------


class DonorOut(Schema):
    id: int
    kind: str
    name: str
    unit_id: int | None
    public_name: str = Field(description="The name on the public list (匿名 when anonymous).")
    certificate_number: str | None

    @staticmethod
    def resolve_public_name(obj: Donor) -> str:
        return obj.shown_name


class DonorPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DonorOut]


class DonorFilters(Schema):
    q: str | None = Field(None, max_length=50)
    kind: str | None = None
    given: bool | None = None
    given_until: dt.date | None = Field(None, description="Only donors who had given something by this day.")


class DonorIn(Schema):
    kind: str
    name: str = ""
    unit_id: int | None = None
    person_id: int | None = None
    contact: str = ""
    public_name: str = ""
    anonymous: bool = False


@router.get("/donors", response=DonorPage, summary="Donors in your scope")
def list_donors(request: HttpRequest, filters: Query[DonorFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return _filtered(request, Donor, DonorFilterSet, filters, pages)


@router.get("/donors/{donor_id}", response=DonorOut, summary="One donor")
def get_donor(request: HttpRequest, donor_id: int) -> Donor:
    return get_object_or_404(_q(request.user, Donor), pk=donor_id)


def _unit(request: HttpRequest, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    return get_object_or_404(Unit.objects.visible_to(request.user), pk=unit_id)  # type: ignore[attr-defined]


@router.post("/donors", response={201: DonorOut}, summary="Record a donor")
def create_donor(request: HttpRequest, payload: DonorIn) -> Status[Donor]:
    from fangkong.people.models import Person

    person = (get_object_or_404(Person.objects.visible_to(request.user), pk=payload.person_id)
              if payload.person_id else None)
    donor = services.donor_create(actor=request.user, kind=payload.kind, name=payload.name,  # type: ignore[arg-type]
                                  unit=_unit(request, payload.unit_id), person=person, contact=payload.contact,
                                  public_name=payload.public_name, anonymous=payload.anonymous)
    return Status(201, donor)


@router.post("/donors/{donor_id}/certificate", response=DonorOut, summary="Issue the donor's certificate number")
def issue_certificate(request: HttpRequest, donor_id: int) -> Donor:
    donor = get_object_or_404(_q(request.user, Donor), pk=donor_id)
    return services.certificate_issue(actor=request.user, donor=donor)  # type: ignore[arg-type]


class DonationPledgeOut(Schema):
    id: int
    donor_id: int
    donor_name: str
    item_id: int
    quantity: Decimal
    pledged_on: dt.date
    expected_on: dt.date | None

    @staticmethod
    def resolve_donor_name(obj: Pledge) -> str:
        return obj.donor.name


class PledgePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DonationPledgeOut]


class PledgeFilters(Schema):
    donor: int | None = None
    item: int | None = None


class PledgeIn(Schema):
    donor_id: int
    item_id: int
    quantity: str
    measure: str | None = None
    expected_on: dt.date | None = None
    note: str = ""


@router.get("/pledges", response=PledgePage, summary="Pledges in your scope")
def list_pledges(request: HttpRequest, filters: Query[PledgeFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return _filtered(request, Pledge, PledgeFilterSet, filters, pages, "donor")


@router.post("/pledges", response={201: DonationPledgeOut}, summary="Record a pledge")
def create_pledge(request: HttpRequest, payload: PledgeIn) -> Status[Pledge]:
    donor = get_object_or_404(_q(request.user, Donor), pk=payload.donor_id)
    item = get_object_or_404(Item, pk=payload.item_id)
    return Status(201, services.pledge_create(actor=request.user, donor=donor, item=item,  # type: ignore[arg-type]
                                              quantity=payload.quantity, measure=_measure(payload.measure),
                                              expected_on=payload.expected_on, note=payload.note))


class LeadOut(Schema):
    id: int
    item_id: int
    supplier: str
    price: Decimal
    quantity_available: Decimal
    contact: str
    unit_id: int
    offered_on: dt.date


class LeadPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[LeadOut]


class LeadFilters(Schema):
    item: int | None = None


@router.get("/leads", response=LeadPage, summary="Purchase channels (supplier leads) in your scope")
def list_leads(request: HttpRequest, filters: Query[LeadFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return _filtered(request, SupplierLead, LeadFilterSet, filters, pages)


class LeadIn(Schema):
    item_id: int
    supplier: str
    price: str
    quantity_available: str
    unit_id: int = Field(description="The unit of the member who offered it.")
    contact: str = ""
    offered_by_id: int | None = None


@router.post("/leads", response={201: LeadOut}, summary="Record a purchase channel offered by a member")
def create_lead(request: HttpRequest, payload: LeadIn) -> Status[SupplierLead]:
    from fangkong.people.models import Person

    item = get_object_or_404(Item, pk=payload.item_id)
    person = (get_object_or_404(Person.objects.visible_to(request.user), pk=payload.offered_by_id)
              if payload.offered_by_id else None)
    return Status(201, services.lead_create(
        actor=request.user, item=item, supplier=payload.supplier, price=payload.price,  # type: ignore[arg-type]
        quantity_available=payload.quantity_available,
        unit=get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.unit_id),  # type: ignore[attr-defined]
        contact=payload.contact, offered_by=person))


# -- intake and stock ----------------------------------------------------------------------


class IntakeOut(Schema):
    id: int
    number: str
    source: str
    donor_id: int | None
    donor_name: str | None
    item_id: int
    item_name: str
    store_id: int
    quantity: Decimal
    remaining: Decimal = Field(description="What of it has not left the store yet (first in, first out).")
    received_on: dt.date
    received_by: str

    @staticmethod
    def resolve_donor_name(obj: Intake) -> str | None:
        return obj.donor.name if obj.donor else None

    @staticmethod
    def resolve_item_name(obj: Intake) -> str:
        return obj.item.name


class IntakePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[IntakeOut]


class IntakeFilters(Schema):
    q: str | None = Field(None, max_length=50)
    source: str | None = None
    item: int | None = None
    store: int | None = None
    donor: int | None = None
    category: str | None = None
    until: dt.date | None = None


class IntakeIn(Schema):
    store_id: int
    item_id: int
    quantity: str = Field(description="A decimal in the item's unit, or in ``measure`` when given.")
    measure: str | None = None
    source: str = "donated"
    donor_id: int | None = None
    pledge_id: int | None = None
    lead_id: int | None = None
    received_on: dt.date | None = None
    received_by: str = ""
    condition: str = "good"
    note: str = ""


class TraceOut(Schema):
    intake_id: int
    intake_number: str
    distribution_id: int | None
    adjustment_id: int | None
    quantity: Decimal


class IntakeDetail(IntakeOut):
    trace: list[TraceOut]

    @staticmethod
    def resolve_trace(obj: Intake) -> list[dict[str, Any]]:
        return _trace(selectors.trace_of_intake(obj))


def _trace(links: list[Any]) -> list[dict[str, Any]]:
    return [{"intake_id": t.intake_id, "intake_number": t.intake.number, "distribution_id": t.distribution_id,
             "adjustment_id": t.adjustment_id, "quantity": t.quantity} for t in links]


@router.get("/intakes", response=IntakePage, summary="Intake into stores in your scope")
def list_intakes(request: HttpRequest, filters: Query[IntakeFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return _filtered(request, Intake, IntakeFilterSet, filters, pages, "donor", "item")


@router.get("/intakes/{intake_id}", response=IntakeDetail, summary="One intake and where every unit of it went")
def get_intake(request: HttpRequest, intake_id: int) -> Any:
    return get_object_or_404(_q(request.user, Intake).select_related("donor", "item"), pk=intake_id)


@router.post("/intakes", response={201: IntakeOut}, summary="Record goods received into a store")
def create_intake(request: HttpRequest, payload: IntakeIn) -> Status[Intake]:
    user = request.user
    store = get_object_or_404(_q(user, Store), pk=payload.store_id)
    item = get_object_or_404(Item, pk=payload.item_id)
    donor = get_object_or_404(_q(user, Donor), pk=payload.donor_id) if payload.donor_id else None
    pledge = get_object_or_404(_q(user, Pledge), pk=payload.pledge_id) if payload.pledge_id else None
    lead = get_object_or_404(_q(user, SupplierLead), pk=payload.lead_id) if payload.lead_id else None
    intake = services.intake_record(
        actor=user, store=store, item=item, quantity=payload.quantity, measure=_measure(payload.measure),  # type: ignore[arg-type]
        source=payload.source, donor=donor, pledge=pledge, lead=lead, received_on=payload.received_on,
        received_by=payload.received_by, condition=payload.condition, note=payload.note)
    return Status(201, intake)


class BalanceOut(Schema):
    store_id: int
    item_id: int
    item_name: str
    balance: Decimal

    @staticmethod
    def resolve_item_name(obj: StockBalance) -> str:
        return obj.item.name


@router.get("/stock", response=list[BalanceOut], summary="Stock now per item and store")
def stock(request: HttpRequest) -> Any:
    return _q(request.user, StockBalance).select_related("item")


class MoveOut(Schema):
    id: int
    store_id: int
    item_id: int
    kind: str
    quantity: Decimal = Field(description="Positive in, negative out.")
    balance_after: Decimal
    document: str
    moved_on: dt.date


class MovePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[MoveOut]


class MoveFilters(Schema):
    store: int | None = None
    item: int | None = None
    until: dt.date | None = None


@router.get("/stock-card", response=MovePage, summary="Stock card lines (every movement with its document)")
def stock_card(request: HttpRequest, filters: Query[MoveFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return _filtered(request, StockMove, StockMoveFilterSet, filters, pages)


class AdjustmentIn(Schema):
    store_id: int
    item_id: int
    quantity: str = Field(description="Signed: -3 takes three off.")
    write_off: bool = False
    reason: str
    approved_by: str


class AdjustmentOut(Schema):
    id: int
    number: str
    kind: str
    quantity: Decimal
    reason: str
    approved_by: str


@router.post("/adjustments", response={201: AdjustmentOut}, summary="Adjust a stock or write goods off")
def create_adjustment(request: HttpRequest, payload: AdjustmentIn) -> Status[Any]:
    store = get_object_or_404(_q(request.user, Store), pk=payload.store_id)
    item = get_object_or_404(Item, pk=payload.item_id)
    return Status(201, services.adjustment_record(
        actor=request.user, store=store, item=item, quantity=payload.quantity, write_off=payload.write_off,  # type: ignore[arg-type]
        reason=payload.reason, approved_by=payload.approved_by))


# -- needs ---------------------------------------------------------------------------------


class NeedOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    item_id: int
    item_name: str
    quantity: Decimal
    needed_by: dt.date | None
    reason: str
    status: str
    raised_on: dt.date

    @staticmethod
    def resolve_unit_name(obj: Need) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_item_name(obj: Need) -> str:
        return obj.item.name


class NeedPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[NeedOut]


class NeedFilters(Schema):
    status: str | None = None
    item: int | None = None
    unit: int | None = None
    until: dt.date | None = Field(None, description="Only needs raised by this day.")


class NeedIn(Schema):
    unit_id: int
    item_id: int
    quantity: str
    measure: str | None = None
    needed_by: dt.date | None = None
    reason: str


class AllocationIn(Schema):
    store_id: int
    quantity: str
    basis: str = services.DEFAULT_BASIS
    approver_name: str = ""


class AllocationOut(Schema):
    id: int
    need_id: int
    store_id: int
    quantity: Decimal
    basis: str
    approver_name: str
    approved_on: dt.date


@router.get("/needs", response=NeedPage, summary="Needs in your scope")
def list_needs(request: HttpRequest, filters: Query[NeedFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return _filtered(request, Need, NeedFilterSet, filters, pages, "unit", "item")


@router.get("/needs/{need_id}", response=NeedOut, summary="One need")
def get_need(request: HttpRequest, need_id: int) -> Need:
    return get_object_or_404(_q(request.user, Need).select_related("unit", "item"), pk=need_id)


@router.post("/needs", response={201: NeedOut}, summary="Raise a need")
def create_need(request: HttpRequest, payload: NeedIn) -> Status[Need]:
    unit = _unit(request, payload.unit_id)
    item = get_object_or_404(Item, pk=payload.item_id)
    return Status(201, services.need_raise(actor=request.user, unit=unit, item=item,  # type: ignore[arg-type]
                                           quantity=payload.quantity, measure=_measure(payload.measure),
                                           needed_by=payload.needed_by, reason=payload.reason))


@router.post("/needs/{need_id}/allocate", response={201: AllocationOut}, summary="Approve an allocation plan")
def allocate(request: HttpRequest, need_id: int, payload: AllocationIn) -> Status[Allocation]:
    need = get_object_or_404(_q(request.user, Need), pk=need_id)
    store = get_object_or_404(_q(request.user, Store), pk=payload.store_id)
    return Status(201, services.allocation_approve(actor=request.user, need=need, store=store,  # type: ignore[arg-type]
                                                   quantity=payload.quantity, basis=payload.basis,
                                                   approver_name=payload.approver_name))


@router.post("/needs/{need_id}/decline", response=NeedOut, summary="Decline a need")
def decline(request: HttpRequest, need_id: int) -> Need:
    need = get_object_or_404(_q(request.user, Need), pk=need_id)
    return services.need_decline(actor=request.user, need=need)  # type: ignore[arg-type]


# -- distributions and receipts ------------------------------------------------------------


class DonationReceiptOut(Schema):
    id: int
    distribution_id: int
    corrects_id: int | None
    signer_name: str
    signer_role: str
    signed_at: dt.datetime
    quantity_received: Decimal
    discrepancy: str
    by_link: bool


class DistributionOut(Schema):
    id: int
    number: str
    allocation_id: int | None
    store_id: int
    item_id: int
    item_name: str
    to_unit_id: int
    to_unit_name: str
    quantity: Decimal
    carrier: str
    vehicle: str
    dispatched_on: dt.date
    status: str

    @staticmethod
    def resolve_item_name(obj: Distribution) -> str:
        return obj.item.name

    @staticmethod
    def resolve_to_unit_name(obj: Distribution) -> str:
        return obj.to_unit.name


class DistributionDetail(DistributionOut):
    receipts: list[DonationReceiptOut]
    trace: list[TraceOut]

    @staticmethod
    def resolve_receipts(obj: Distribution) -> list[Receipt]:
        return list(obj.receipts.order_by("signed_at", "id"))

    @staticmethod
    def resolve_trace(obj: Distribution) -> list[dict[str, Any]]:
        return _trace(selectors.trace_of_distribution(obj))


class DistributionPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DistributionOut]


class DistributionFilters(Schema):
    q: str | None = Field(None, max_length=20)
    signed: bool | None = None
    item: int | None = None
    unit: int | None = None
    until: dt.date | None = None
    unsigned_on: dt.date | None = Field(None, description="Dispatched by this day and not signed for at its end.")


class DistributionIn(Schema):
    store_id: int
    quantity: str
    allocation_id: int | None = None
    item_id: int | None = None
    to_unit_id: int | None = None
    measure: str | None = None
    carrier: str = ""
    vehicle: str = ""
    dispatched_on: dt.date | None = None


class DonationSignIn(Schema):
    quantity_received: str
    discrepancy: str = ""


class LinkIn(Schema):
    receiver_name: str
    receiver_role: str = ""


class LinkOut(Schema):
    token: str = Field(description="Shown once; the platform keeps only its hash.")
    url: str
    expires_at: dt.datetime


@router.get("/distributions", response=DistributionPage, summary="Distributions in your scope")
def list_distributions(request: HttpRequest, filters: Query[DistributionFilters],
                       pages: Query[PageParams]) -> dict[str, Any]:
    return _filtered(request, Distribution, DistributionFilterSet, filters, pages, "item", "to_unit")


@router.get("/distributions/{distribution_id}", response=DistributionDetail,
            summary="One distribution, its receipts and the intakes it came from")
def get_distribution(request: HttpRequest, distribution_id: int) -> Any:
    return get_object_or_404(_q(request.user, Distribution).select_related("item", "to_unit"), pk=distribution_id)


@router.post("/distributions", response={201: DistributionOut}, summary="Send goods from a store to a unit")
def create_distribution(request: HttpRequest, payload: DistributionIn) -> Status[Distribution]:
    user = request.user
    store = get_object_or_404(_q(user, Store), pk=payload.store_id)
    allocation = (get_object_or_404(_q(user, Allocation).select_related("need__item", "need__unit"),
                                    pk=payload.allocation_id) if payload.allocation_id else None)
    item = get_object_or_404(Item, pk=payload.item_id) if payload.item_id else None
    d = services.distribution_create(
        actor=user, store=store, item=item, to_unit=_unit(request, payload.to_unit_id), quantity=payload.quantity,  # type: ignore[arg-type]
        allocation=allocation, carrier=payload.carrier, vehicle=payload.vehicle,
        dispatched_on=payload.dispatched_on, measure=_measure(payload.measure))
    return Status(201, d)


@router.post("/distributions/{distribution_id}/sign", response={201: DonationReceiptOut},
             summary="Sign for a distribution (a user of the receiving unit)")
def sign(request: HttpRequest, distribution_id: int, payload: DonationSignIn) -> Status[Receipt]:
    d = get_object_or_404(_q(request.user, Distribution), pk=distribution_id)
    return Status(201, services.receipt_sign(actor=request.user, distribution=d,  # type: ignore[arg-type]
                                             quantity_received=payload.quantity_received,
                                             discrepancy=payload.discrepancy))


@router.post("/distributions/{distribution_id}/links", response={201: LinkOut},
             summary="A one-time signing link for a named receiver")
def make_link(request: HttpRequest, distribution_id: int, payload: LinkIn) -> Status[dict[str, Any]]:
    from django.urls import reverse

    d = get_object_or_404(_q(request.user, Distribution).select_related("store"), pk=distribution_id)
    link, token = services.signing_link_create(actor=request.user, distribution=d,  # type: ignore[arg-type]
                                               receiver_name=payload.receiver_name,
                                               receiver_role=payload.receiver_role)
    return Status(201, {"token": token, "expires_at": link.expires_at,
                        "url": request.build_absolute_uri(reverse("donations:sign_link", args=[token]))})


@router.post("/receipts/{receipt_id}/correct", response={201: DonationReceiptOut},
             summary="Correct a signed receipt with a new, linked receipt")
def correct(request: HttpRequest, receipt_id: int, payload: DonationSignIn) -> Status[Receipt]:
    receipt = get_object_or_404(_q(request.user, Receipt), pk=receipt_id)
    return Status(201, services.receipt_correct(actor=request.user, receipt=receipt,  # type: ignore[arg-type]
                                                quantity_received=payload.quantity_received,
                                                discrepancy=payload.discrepancy))


# -- figures -------------------------------------------------------------------------------


class DonationFiguresOut(Schema):
    as_of: dt.date
    donor_departments: int
    donors: int
    received: dict[str, dict[str, Any]]
    distributed: dict[str, dict[str, Any]]
    in_stock: dict[str, dict[str, Any]]
    needs_open: int
    receipts_unsigned: int


@router.get("/figures", response=DonationFiguresOut, summary="The line's figures as of a date, in your scope")
def figures(request: HttpRequest, as_of: dt.date | None = None) -> dict[str, Any]:
    user = request.user
    if not user_has_perm(user, "donations.view"):
        raise PermissionDenied(_("Your role may not do this."))
    day = as_of or clock.today()
    data = selectors.figures(intakes=_q(user, Intake), distributions=_q(user, Distribution),
                             moves=_q(user, StockMove), needs=_q(user, Need), donors=_q(user, Donor), day=day)
    return {"as_of": day, **data}
