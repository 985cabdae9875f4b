"""Pages of the donations line: the materials group's desk (stock, donors, intake, needs,
allocation, distribution), the phone pages (raise a need, sign a receipt, sign through a
one-time link) and the public disclosure."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.generic import TemplateView

from fangkong.core import clock
from fangkong.core.forms import apply_write as _apply
from fangkong.core.scoping import user_has_perm
from fangkong.core.views import ScopedDetailView, ScopedExportView, ScopedListView, ScopedMixin

from . import selectors, services, tables
from .choices import DistributionStatus, NeedStatus
from .filtersets import (
    DistributionFilterSet,
    DonorFilterSet,
    IntakeFilterSet,
    LeadFilterSet,
    NeedFilterSet,
    PledgeFilterSet,
)
from .forms import (
    AdjustmentForm,
    AllocationForm,
    ConversionForm,
    CorrectionForm,
    DistributionForm,
    DonorForm,
    IntakeForm,
    ItemForm,
    LeadForm,
    LinkForm,
    MeasureForm,
    NeedForm,
    PledgeForm,
    ReceiptForm,
    StoreForm,
)
from .models import (
    Conversion,
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


class OverviewView(ScopedMixin, TemplateView):
    """The line at a glance: received, given out and in stock per item, open needs, unsigned."""

    model = Intake
    template_name = "donations/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        day = clock.today()
        context.update(
            day=day,
            figures=selectors.figures(
                intakes=Intake.objects.visible_to(user), distributions=Distribution.objects.visible_to(user),  # type: ignore[attr-defined]
                moves=StockMove.objects.visible_to(user), needs=Need.objects.visible_to(user),  # type: ignore[attr-defined]
                donors=Donor.objects.visible_to(user), day=day),  # type: ignore[attr-defined]
            balances=StockBalance.objects.visible_to(user).select_related("store", "item__measure")  # type: ignore[attr-defined]
            .order_by("store__name", "item__category", "item__name"),
            can_change=user_has_perm(user, "donations.change"),
        )
        return context


class CatalogueView(ScopedMixin, TemplateView):
    """物资目录: the items, their units and exact conversions (city-wide reference data), and the
    stores in scope with what each holds."""

    model = Store
    template_name = "donations/catalogue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        stores = list(self.get_queryset().select_related("unit").order_by("name"))
        held: dict[int, list[Any]] = {}
        for balance in (StockBalance.objects.visible_to(user).filter(store__in=stores)  # type: ignore[attr-defined]
                        .select_related("item__measure").order_by("item__category", "item__name")):
            held.setdefault(balance.store_id, []).append(balance)
        converts: dict[int, list[str]] = {}
        for conversion in Conversion.objects.select_related("source", "target").order_by("target__name"):
            converts.setdefault(conversion.source_id, []).append(str(conversion))
        context.update(
            items=Item.objects.select_related("measure").order_by("category", "name"),
            measures=[(m, converts.get(m.pk, [])) for m in Measure.objects.order_by("name")],
            stores=[(store, held.get(store.pk, [])) for store in stores],
            can_change=user_has_perm(user, "donations.change"),
        )
        return context


# -- lists ---------------------------------------------------------------------------------


class _List(ScopedListView):
    title: Any = ""
    create_url = ""
    create_perm = "donations.change"
    create_label: Any = ""
    export_url = ""
    related: tuple[str, ...] = ()

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related(*self.related)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["export_url"] = reverse(self.export_url) if self.export_url and user_has_perm(
            self.request.user, "donations.export") else ""
        context.update(title=self.title, partial=self.partial_template, create_url=reverse(self.create_url) if self.create_url and user_has_perm(
            self.request.user, self.create_perm) else "", create_label=self.create_label)
        return context


class DonorListView(_List):
    model = Donor
    template_name = "donations/list.html"
    partial_template = "donations/_donor_table.html"
    filterset_class = DonorFilterSet
    title = gettext_lazy("Donors")
    create_url = "donations:donor_create"
    export_url = "donations:donor_export"
    create_label = gettext_lazy("Add a donor")
    related = ("unit",)

    def get_queryset(self) -> Any:
        return super().get_queryset().annotate(given=Sum("intakes__quantity")).order_by("name", "id")


class PledgeListView(_List):
    model = Pledge
    template_name = "donations/list.html"
    partial_template = "donations/_pledge_table.html"
    filterset_class = PledgeFilterSet
    title = pgettext_lazy("donations", "Pledges")
    create_url = "donations:pledge_create"
    export_url = "donations:pledge_export"
    create_label = gettext_lazy("Record a pledge")
    related = ("donor", "item__measure")

    def get_queryset(self) -> Any:
        return super().get_queryset().annotate(received=Sum("intakes__quantity")).order_by("-pledged_on", "-id")


class LeadListView(_List):
    model = SupplierLead
    template_name = "donations/list.html"
    partial_template = "donations/_lead_table.html"
    filterset_class = LeadFilterSet
    title = gettext_lazy("Purchase channels")
    create_url = "donations:lead_create"
    export_url = "donations:lead_export"
    create_label = gettext_lazy("Record a supplier lead")
    related = ("item__measure", "offered_by", "unit")


class IntakeListView(_List):
    model = Intake
    template_name = "donations/list.html"
    partial_template = "donations/_intake_table.html"
    filterset_class = IntakeFilterSet
    title = gettext_lazy("Intake")
    create_url = "donations:intake_create"
    export_url = "donations:intake_export"
    create_label = gettext_lazy("Record intake")
    related = ("donor", "item__measure", "store")


class NeedListView(_List):
    model = Need
    template_name = "donations/list.html"
    partial_template = "donations/_need_table.html"
    filterset_class = NeedFilterSet
    title = gettext_lazy("Needs")
    create_url = "donations:need_create"
    export_url = "donations:need_export"
    create_perm = "donations.need"
    create_label = gettext_lazy("Raise a need")
    related = ("unit", "item__measure")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Needs against stock: what the stores hold of each item the listed needs ask for.
        stock = (StockBalance.objects.visible_to(self.request.user).values("item_id")  # type: ignore[attr-defined]
                 .annotate(total=Sum("balance")))
        context["stock"] = {row["item_id"]: row["total"] for row in stock}
        return context


class DistributionListView(_List):
    model = Distribution
    template_name = "donations/list.html"
    partial_template = "donations/_distribution_table.html"
    filterset_class = DistributionFilterSet
    title = gettext_lazy("Distributions")
    create_url = "donations:distribution_create"
    export_url = "donations:distribution_export"
    create_label = gettext_lazy("Distribute")
    related = ("to_unit", "item__measure", "store")


def _export(model_: Any, filterset: Any, rows: Any, sheet: str, prefix: str) -> type[ScopedExportView]:
    return type(f"{model_.__name__}ExportView", (ScopedExportView,), {
        "model": model_, "required_perm": "donations.export", "filterset_class": filterset, "rows": rows,
        "sheet": sheet, "file_prefix": prefix})


DonorExportView = _export(Donor, DonorFilterSet, tables.donor_rows, "捐赠方", "donors")
PledgeExportView = _export(Pledge, PledgeFilterSet, tables.pledge_rows, "认捐", "pledges")
LeadExportView = _export(SupplierLead, LeadFilterSet, tables.lead_rows, "物资渠道", "supplier-leads")
IntakeExportView = _export(Intake, IntakeFilterSet, tables.intake_rows, "入库", "intake")
NeedExportView = _export(Need, NeedFilterSet, tables.need_rows, "需求", "needs")
DistributionExportView = _export(Distribution, DistributionFilterSet, tables.distribution_rows, "发放", "distributions")


# -- forms ---------------------------------------------------------------------------------


class _Create(ScopedMixin, TemplateView):
    """A form page whose valid form goes to one service call."""

    template_name = "donations/form.html"
    form_class: Any = None
    title: Any = ""
    done: Any = ""
    phone = False

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return self.form_class(data, files, user=self.request.user, initial=self.initial())

    def initial(self) -> dict[str, Any]:
        return {}

    def write(self, form: Any) -> Any:
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(form=kwargs.get("form") or self.make_form(), title=self.title, phone=self.phone)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST, request.FILES)
        result = _apply(request, form, lambda: self.write(form), str(self.done))
        if result is not None:
            return redirect(result)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class _CatalogueCreate(_Create):
    """A form page adding to the catalogue through one service; back to the catalogue after."""

    model = Store
    required_perm = "donations.change"
    service = ""

    def write(self, form: Any) -> Any:
        getattr(services, self.service)(actor=self.request.user, **form.cleaned_data)
        return reverse("donations:catalogue")


class MeasureCreateView(_CatalogueCreate):
    form_class, service = MeasureForm, "measure_create"
    title, done = gettext_lazy("Add a unit of measure"), gettext_lazy("The unit of measure is added.")


class ConversionCreateView(_CatalogueCreate):
    form_class, service = ConversionForm, "conversion_create"
    title, done = gettext_lazy("Add an exact conversion"), gettext_lazy("The conversion is added.")


class ItemCreateView(_CatalogueCreate):
    form_class, service = ItemForm, "item_create"
    title, done = pgettext_lazy("donations", "Add an item"), pgettext_lazy("donations", "The item is added.")


class StoreCreateView(_CatalogueCreate):
    form_class, service = StoreForm, "store_create"
    title, done = gettext_lazy("Add a store"), gettext_lazy("The store is added.")


class DonorCreateView(_Create):
    model = Donor
    required_perm = "donations.change"
    form_class = DonorForm
    title = gettext_lazy("Add a donor")
    done = gettext_lazy("The donor is recorded.")

    def write(self, form: Any) -> Any:
        return services.donor_create(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


class PledgeCreateView(_Create):
    model = Pledge
    required_perm = "donations.change"
    form_class = PledgeForm
    title = gettext_lazy("Record a pledge")
    done = gettext_lazy("The pledge is recorded.")

    def write(self, form: Any) -> Any:
        services.pledge_create(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]
        return reverse("donations:pledge_list")


class LeadCreateView(_Create):
    model = SupplierLead
    required_perm = "donations.change"
    form_class = LeadForm
    title = gettext_lazy("Record a supplier lead")
    done = gettext_lazy("The supplier lead is recorded.")

    def write(self, form: Any) -> Any:
        services.lead_create(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]
        return reverse("donations:lead_list")


class IntakeCreateView(_Create):
    model = Intake
    required_perm = "donations.change"
    form_class = IntakeForm
    title = gettext_lazy("Record intake")
    done = gettext_lazy("The goods are in the store.")

    def initial(self) -> dict[str, Any]:
        return {"received_on": clock.today(), "received_by": str(self.request.user)}

    def write(self, form: Any) -> Any:
        return services.intake_record(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


class NeedCreateView(_Create):
    """Raise a need, on a phone at a community or checkpoint."""

    model = Need
    required_perm = "donations.need"
    form_class = NeedForm
    title = gettext_lazy("Raise a need")
    done = gettext_lazy("The need is sent to the materials group.")
    phone = True

    def write(self, form: Any) -> Any:
        return services.need_raise(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


class DistributionCreateView(_Create):
    model = Distribution
    required_perm = "donations.change"
    form_class = DistributionForm
    title = gettext_lazy("Distribute")
    done = gettext_lazy("The goods are on their way; the receiving unit signs for them.")

    def initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = {"dispatched_on": clock.today()}
        plan = self.request.GET.get("allocation", "")
        if plan.isdigit():
            from .models import Allocation

            allocation = Allocation.objects.visible_to(self.request.user).filter(pk=plan).first()  # type: ignore[attr-defined]
            if allocation is not None:
                initial.update(allocation=allocation.pk, store=allocation.store_id,
                               quantity=services.fmt(allocation.quantity))
        return initial

    def write(self, form: Any) -> Any:
        return services.distribution_create(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


# -- details -------------------------------------------------------------------------------


class DonorDetailView(ScopedDetailView):
    model = Donor
    template_name = "donations/donor_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        donor: Donor = context["object"]
        context.update(
            intakes=donor.intakes.select_related("item__measure", "store").order_by("received_on", "id"),
            pledges=donor.pledges.select_related("item__measure").annotate(received=Sum("intakes__quantity")),
            can_change=user_has_perm(self.request.user, "donations.change"),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        donor = self.get_object()
        try:
            donor = services.certificate_issue(actor=request.user, donor=donor)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return redirect(donor)
        return redirect("donations:certificate", pk=donor.pk)


class IntakeDetailView(ScopedDetailView):
    model = Intake
    template_name = "donations/intake_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("donor", "item__measure", "store", "pledge", "lead")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        intake: Intake = context["object"]
        trace = selectors.trace_of_intake(intake)
        user = self.request.user
        context.update(
            trace=trace,
            # Links only to what the user may open (a donor's unit sees where its gift went, not
            # the receiving unit's pages).
            linkable=set(Distribution.objects.visible_to(user).filter(  # type: ignore[attr-defined]
                pk__in=[t.distribution_id for t in trace if t.distribution_id]).values_list("pk", flat=True)),
            store_open=Store.objects.visible_to(user).filter(pk=intake.store_id).exists(),  # type: ignore[attr-defined]
            donor_open=intake.donor_id is not None and Donor.objects.visible_to(user).filter(  # type: ignore[attr-defined]
                pk=intake.donor_id).exists(),
        )
        return context


class NeedDetailView(ScopedDetailView):
    """A need, the stock of its item, and (for the materials group) the allocation form."""

    model = Need
    template_name = "donations/need_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "item__measure")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        need: Need = context["object"]
        user = self.request.user
        can_approve = user_has_perm(user, "donations.approve") and need.status == NeedStatus.OPEN
        # The store that holds most of the item is offered first.
        fullest = (StockBalance.objects.visible_to(user).filter(item=need.item)  # type: ignore[attr-defined]
                   .order_by("-balance").values_list("store_id", flat=True).first())
        context.update(
            stock=StockBalance.objects.visible_to(user).filter(item=need.item).select_related("store"),  # type: ignore[attr-defined]
            allocations=need.allocations.select_related("store").prefetch_related("distributions"),
            can_approve=can_approve,
            can_distribute=user_has_perm(user, "donations.change"),
            form=kwargs.get("form") or (AllocationForm(user=user, initial={
                "quantity": services.fmt(need.quantity), "basis": services.DEFAULT_BASIS,
                "approver_name": str(user), "store": fullest}) if can_approve else None),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        need = self.get_object()
        if request.POST.get("action") == "decline":
            try:
                services.need_decline(actor=request.user, need=need)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return redirect(need)
        form = AllocationForm(request.POST, user=request.user)
        allocation = _apply(request, form, lambda: services.allocation_approve(
            actor=request.user, need=need, **form.cleaned_data), _("The allocation plan is approved."))  # type: ignore[arg-type]
        if allocation is not None:
            return redirect(reverse("donations:distribution_create") + f"?allocation={allocation.pk}")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DistributionDetailView(ScopedDetailView):
    """A distribution with its waybill, its trace back to the donors, its receipts; on a phone
    the receiving unit signs here."""

    model = Distribution
    template_name = "donations/distribution_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("to_unit", "item__measure", "store", "allocation__need")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        d: Distribution = context["object"]
        user = self.request.user
        receipts = list(d.receipts.select_related("corrects").order_by("signed_at", "id"))
        trace = selectors.trace_of_distribution(d)
        may_sign = services._may_sign(user, d)  # type: ignore[arg-type]
        context.update(
            receipts=receipts, trace=trace,
            linkable=set(Intake.objects.visible_to(user).filter(  # type: ignore[attr-defined]
                pk__in=[t.intake_id for t in trace]).values_list("pk", flat=True)),
            sign_form=kwargs.get("sign_form") or (ReceiptForm(initial={"quantity_received": services.fmt(d.quantity)})
                                                  if may_sign and d.status == DistributionStatus.DISPATCHED else None),
            correct_form=kwargs.get("correct_form") or (CorrectionForm() if may_sign and receipts else None),
            link_form=kwargs.get("link_form") or (LinkForm() if user_has_perm(user, "donations.change")
                                                  and d.status == DistributionStatus.DISPATCHED else None),
            link_url=kwargs.get("link_url", ""), link_qr=kwargs.get("link_qr", ""),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        d = self.get_object()
        action = request.POST.get("action", "sign")
        user: Any = request.user
        if action == "link":
            form = LinkForm(request.POST)
            made = _apply(request, form, lambda: services.signing_link_create(actor=user, distribution=d,
                                                                               **form.cleaned_data),
                          _("The signing link is ready; it works once."))
            if made is not None:
                url = request.build_absolute_uri(reverse("donations:sign_link", args=[made[1]]))
                return self.render_to_response(self.get_context_data(link_url=url, link_qr=_qr_svg(url)))
            return self.render_to_response(self.get_context_data(link_form=form), status=400)
        if action == "correct":
            receipts = list(d.receipts.order_by("signed_at", "id"))
            correction = CorrectionForm(request.POST)
            done = _apply(request, correction, lambda: services.receipt_correct(
                actor=user, receipt=receipts[-1], **correction.cleaned_data), _("The correction is recorded."))
            if done is not None:
                return redirect(d)
            return self.render_to_response(self.get_context_data(correct_form=correction), status=400)
        signing = ReceiptForm(request.POST, request.FILES)
        done = _apply(request, signing, lambda: services.receipt_sign(actor=user, distribution=d,
                                                                      **signing.cleaned_data), _("Signed for."))
        if done is not None:
            return redirect(d)
        return self.render_to_response(self.get_context_data(sign_form=signing), status=400)


class StockCardExportView(ScopedMixin, View):
    """The whole stock card of one item in one store as xlsx, oldest line first."""

    model = StockMove
    required_perm = "donations.export"

    def get(self, request: HttpRequest, store: int, item: int) -> HttpResponse:
        from fangkong.core.views import xlsx_export

        where = get_object_or_404(Store.objects.visible_to(request.user), pk=store)  # type: ignore[attr-defined]
        what = get_object_or_404(Item.objects.select_related("measure"), pk=item)
        moves = selectors.stock_card(StockMove.objects.visible_to(request.user), where.pk, what.pk).select_related(  # type: ignore[attr-defined]
            "intake__donor", "distribution__to_unit", "adjustment")

        def party(m: StockMove) -> str:
            if m.intake is not None:
                return m.intake.donor.name if m.intake.donor else m.intake.get_source_display()
            if m.distribution is not None:
                return m.distribution.to_unit.name
            return m.adjustment.reason if m.adjustment else ""

        rows = ([m.moved_on, m.document, m.get_kind_display(), services.fmt(m.quantity) if m.quantity > 0 else "",
                 services.fmt(-m.quantity) if m.quantity < 0 else "", services.fmt(m.balance_after), party(m)]
                for m in moves.iterator(chunk_size=2000))
        return xlsx_export(request, headers=["日期", "单据", "类别", "收入", "发出", "结存", "来源/去向"], rows=rows,
                           sheet="库存卡", filename=f"库存卡-{what.name}-{where.name}", object_type="donations.stockmove",
                           what=f"{what.name} {where.name}")


def _qr_svg(url: str) -> str:
    """The signing link as a QR code (inline SVG, no styles) for the receiver's phone to scan."""
    import qrcode
    import qrcode.image.svg
    from django.utils.safestring import mark_safe

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308  # made here from the URL alone


PAGE_LINES = 50


class StockCardView(ScopedMixin, TemplateView):
    """The stock card of one item in one store: every movement with its document and balance."""

    model = StockMove
    template_name = "donations/stock_card.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        store = get_object_or_404(Store.objects.visible_to(user), pk=self.kwargs["store"])  # type: ignore[attr-defined]
        item = get_object_or_404(Item.objects.select_related("measure"), pk=self.kwargs["item"])
        moves = selectors.stock_card(self.get_queryset(), store.pk, item.pk).select_related(
            "intake__donor", "distribution__to_unit", "adjustment")
        # Newest first, 50 lines at a time, each page starting below the last line shown (an index
        # range on (store, item, id)): a card of a million lines opens as fast as one of ten.
        before = self.request.GET.get("before", "")
        if before.isdigit():
            moves = moves.filter(id__lt=int(before))
        lines = list(moves.order_by("-id")[:PAGE_LINES + 1])
        older = ""
        if len(lines) > PAGE_LINES:
            lines = lines[:PAGE_LINES]
            older = f"?before={lines[-1].pk}"
        context.update(store=store, item=item, object_list=lines, older=older, newest=bool(before),
                       balance=services.balance_of(store, item),
                       form=kwargs.get("form") or (AdjustmentForm() if user_has_perm(user, "donations.change")
                                                   else None))
        return context

    def post(self, request: HttpRequest, store: int, item: int) -> HttpResponse:
        self.require("change")
        context = self.get_context_data()
        form = AdjustmentForm(request.POST)
        done = _apply(request, form, lambda: services.adjustment_record(
            actor=request.user, store=context["store"], item=context["item"], **form.cleaned_data),  # type: ignore[arg-type]
            _("The stock is adjusted."))
        if done is not None:
            return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SignByLinkView(View):
    """签收 through a one-time link, without an account: the named receiver confirms what arrived."""

    def _link(self, token: str) -> Any:
        link = services.link_for_token(token)
        if link is None:
            raise Http404
        return link

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        link = self._link(token)
        form = ReceiptForm(initial={"quantity_received": services.fmt(link.distribution.quantity)})
        return render(request, "donations/sign_link.html", {"link": link, "form": form})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        link = self._link(token)
        form = ReceiptForm(request.POST, request.FILES)
        done = _apply(request, form, lambda: services.receipt_sign_by_link(token=token, **form.cleaned_data),
                      _("Signed for."))
        if done is not None:
            return render(request, "donations/sign_link.html", {"link": link, "receipt": done})
        return render(request, "donations/sign_link.html", {"link": link, "form": form}, status=400)


class CertificateView(ScopedDetailView):
    """The donor's certificate as PDF (issued first on the donor's page)."""

    model = Donor

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from django.utils.http import content_disposition_header

        from .certificate import certificate_pdf

        donor = self.get_object()
        if not donor.certificate_number:
            raise Http404
        response = HttpResponse(certificate_pdf(donor), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            False, f"捐赠证书-{donor.name}.pdf") or "inline"
        return response


class ImportView(ScopedMixin, TemplateView):
    """Import a donation list or a list of needs: the file is checked and shown first (its columns
    placed as every import places them, problems named by row and column, nothing written); the
    user then confirms the preview, and the same file is written, all or nothing."""

    model = Intake
    required_perm = "donations.change"
    template_name = "donations/import.html"
    PREVIEW_ROWS = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(stores=Store.objects.visible_to(self.request.user), title=_("Import a list"),  # type: ignore[attr-defined]
                       kind=self.request.POST.get("kind", "donations"), chosen_store=self.request.POST.get("store", ""),
                       mapping_text=self.request.POST.get("mapping", ""))
        return context

    def _fail(self, **context: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(**context), status=400)

    def post(self, request: HttpRequest) -> HttpResponse:
        from fangkong.core.columnmap import MappingNeeded
        from fangkong.core.forms import ColumnMappingField
        from fangkong.orgs.golive_views import golive_dir, keep_upload
        from fangkong.returnees.ledger.sniff import LedgerFileError

        from .imports import KINDS, commit_list, plan_list

        kind = request.POST.get("kind", "donations")
        if kind not in KINDS:
            return self._fail(error=_("Choose the kind of list and a file."))
        store = Store.objects.visible_to(request.user).filter(pk=request.POST.get("store") or 0).first()  # type: ignore[attr-defined]
        if kind == "donations" and store is None:
            return self._fail(error=_("Choose the store."))
        labels = KINDS[kind][2]
        try:
            mapping = ColumnMappingField(labels).clean(request.POST.get("mapping", "")) or None
        except ValidationError as exc:
            return self._fail(error=" ".join(exc.messages), labels=labels)
        committing = "commit" in request.POST
        path = golive_dir() / f"donations-{request.user.pk}-upload"
        if committing:
            if not path.exists():
                messages.error(request, _("The previewed file is no longer here: upload it again."))
                return redirect("donations:import")
            name = request.POST.get("file_name", "")
        else:
            upload = request.FILES.get("file")
            if upload is None:
                return self._fail(error=_("Choose the kind of list and a file."))
            path = keep_upload(request, upload, "donations")
            name = upload.name or ""
        try:
            plan = plan_list(path, kind=kind, actor=request.user, mapping=mapping)  # type: ignore[arg-type]
        except MappingNeeded as needed:
            return self._fail(error=needed.message, header=needed.plan, labels=labels)
        except LedgerFileError as exc:
            return self._fail(error=str(exc))
        if not plan.ok:
            return self._fail(problems=plan.problems[:500], not_imported=plan.not_imported)
        if not committing:
            return self.render_to_response(self.get_context_data(
                plan=plan, preview=plan.rows[: self.PREVIEW_ROWS], more=max(0, len(plan.rows) - self.PREVIEW_ROWS),
                file_name=name, store=store, not_imported=plan.not_imported))
        if request.POST.get("sha256") != plan.sha256:
            messages.error(request, _("The previewed file is no longer here: upload it again."))
            return redirect("donations:import")
        try:
            count = commit_list(plan, actor=request.user, store=store, file_name=name)  # type: ignore[arg-type]
        except ValidationError as exc:
            return self._fail(error=" ".join(exc.messages))
        path.unlink(missing_ok=True)
        messages.success(request, _("%(count)d rows imported.") % {"count": count})
        return redirect("donations:intake_list" if kind == "donations" else "donations:need_list")


class PublicView(View):
    """公示: every donation and distribution, totals and stock, for anyone, without login. Built
    from the cache (``donations.public``): a request reads no database, and a browser or proxy
    may keep the page for a minute or revalidate it by its ETag."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from django.core.cache import cache
        from django.template.loader import render_to_string
        from django.utils.cache import patch_cache_control, patch_vary_headers
        from django.utils.safestring import mark_safe
        from django.utils.translation import get_language

        from . import public

        data = public.disclosure()
        etag = f'"{data["etag"]}"'
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponse(status=304)
        else:
            # The tables are rendered once per version and language; each request renders only
            # the page around them (its CSRF token and nonce are its own).
            key = f"donations:public:html:{data['etag']}:{get_language()}"
            body = cache.get(key)
            if body is None:
                body = render_to_string("donations/_public_body.html", {"data": data})
                cache.set(key, body, public.TTL)
            response = render(request, "donations/public.html", {"body": mark_safe(body)})  # noqa: S308
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=public.TTL)
        patch_vary_headers(response, ("Cookie",))
        return response


class PublicExportView(View):
    """The public list as xlsx, without login."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from django.utils.cache import patch_cache_control
        from django.utils.http import content_disposition_header

        from fangkong.core.views import XLSX

        from . import public

        response = HttpResponse(public.workbook(), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, "捐赠物资公示.xlsx") or "attachment"
        patch_cache_control(response, public=True, max_age=public.TTL)
        return response


__all__ = ["Receipt"]
