"""The publicity API: materials, media pushes, official forwards, pledges and signatures (with the
caller's own share link counts), model deeds, the comparison and the figures as of a day. Every
answer is limited to the caller's scope."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import comparison, selectors, services
from .choices import CHECKLIST_ITEMS
from .filtersets import (
    DeedFilterSet,
    ForwardFilterSet,
    MaterialFilterSet,
    MediaPushFilterSet,
    SignatureFilterSet,
)
from .models import (
    ChecklistEntry,
    Material,
    MediaPush,
    ModelDeed,
    OfficialForward,
    Outlet,
    Pledge,
    PledgeSignature,
    ScoreFormula,
    ShareCount,
)
from .public import share_figures

router = Router(tags=["publicity"])


def _page(schema: type) -> type:
    return type(f"{schema.__name__}Page", (Schema,), {"__annotations__": {
        "count": int, "page": int, "page_size": int, "results": list[schema]}})  # type: ignore[valid-type]


class OutletOut(Schema):
    id: int
    name: str


class MaterialOut(Schema):
    id: int
    unit_id: int
    kind: str
    title: str
    body: str
    issued_on: dt.date


class MaterialIn(Schema):
    unit_id: int
    kind: str
    title: str = Field(max_length=120)
    body: str = Field("", max_length=5000)
    issued_on: dt.date


class MediaPushOut(Schema):
    id: int
    unit_id: int
    outlet_id: int
    kind: str
    title: str
    pushed_on: dt.date
    link: str


class MediaPushIn(Schema):
    unit_id: int
    outlet_id: int
    kind: str = "news"
    title: str = Field(max_length=200)
    pushed_on: dt.date
    link: str = Field("", max_length=500, description="http:// or https:// only.")


class ForwardOut(Schema):
    id: int
    unit_id: int
    person_id: int | None
    message: str
    day: dt.date
    count: int


class ForwardIn(Schema):
    unit_id: int
    person_id: int | None = None
    message: str = Field(max_length=200)
    day: dt.date
    count: int = Field(1, ge=1, le=100000)


class PublicityPledgeOut(Schema):
    id: int
    slug: str
    title: str
    text: str
    items: list[str]
    opens_on: dt.date
    is_active: bool


class SignatureOut(Schema):
    id: int
    pledge_id: int
    person_id: int
    person_name: str
    unit_id: int
    branch_id: int
    signed_at: dt.datetime

    @staticmethod
    def resolve_person_name(obj: PledgeSignature) -> str:
        return obj.person.name


class PublicitySignIn(Schema):
    person_id: int | None = Field(None, description="Empty: the caller signs as the member their account is.")


class MySignatureOut(Schema):
    signature: SignatureOut
    share_url: str
    opens: int
    onward: int


class DeedOut(Schema):
    id: int
    branch_id: int
    person_id: int
    person_name: str
    unit_name: str
    title: str
    story: str
    status: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_person_name(obj: ModelDeed) -> str:
        return obj.person.name


class DeedIn(Schema):
    branch_id: int
    person_id: int
    title: str = Field(max_length=120)
    story: str = Field(max_length=5000)


class ReviewIn(Schema):
    decision: str = Field(description="approved, rejected or published")
    note: str = ""


class FormulaIn(Schema):
    name: str = Field(max_length=60)
    expression: str = Field(max_length=500, description="Arithmetic over registered item keys; unknown items are refused.")
    since: dt.date


class PublicityItemOut(Schema):
    key: str
    label: str
    explain: str
    rate: bool


class MeasureOut(Schema):
    item: str
    value: float
    numerator: int
    denominator: int | None
    records_url: str | None = Field(description="The page listing the records (null outside your scope).")


class RankOut(Schema):
    rank: int
    unit_id: int
    unit_name: str
    score: float
    measures: list[MeasureOut]


class ComparisonOut(Schema):
    name: str
    expression: str
    since: dt.date
    until: dt.date
    items: list[PublicityItemOut]
    rows: list[RankOut]


class PublicityFiguresOut(Schema):
    as_of: dt.date
    pledge_signatures: int
    pledge_forwards: int
    official_forwards: int
    media_pushes: int
    model_deeds_published: int


class ListFilters(Schema):
    unit: int | None = Field(None, description="A unit; units below it count.")
    since: dt.date | None = None
    until: dt.date | None = None


class PushFilters(ListFilters):
    outlet: int | None = None


class SignatureFilters(Schema):
    pledge: int | None = None
    unit: int | None = None
    until: dt.date | None = None


MaterialPage = _page(MaterialOut)
MediaPushPage = _page(MediaPushOut)
ForwardPage = _page(ForwardOut)
SignaturePage = _page(SignatureOut)
DeedPage = _page(DeedOut)


def _filtered(filterset_class: Any, filters: Schema, qs: Any) -> Any:
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in filters.dict().items() if v is not None}
    filterset = filterset_class(data, queryset=qs)
    return filterset.qs if filterset.is_valid() else qs.none()


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(request.user), pk=unit_id)


@router.get("/outlets", response=list[OutletOut], summary="Media outlets")
def list_outlets(request: HttpRequest) -> Any:
    return list(Outlet.objects.visible_to(request.user))  # type: ignore[attr-defined]


@router.get("/materials", response=MaterialPage, summary="Publicity materials in your scope")
def list_materials(request: HttpRequest, filters: Query[ListFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return paginate(_filtered(MaterialFilterSet, filters, Material.objects.visible_to(request.user)), pages)


@router.post("/materials", response={201: MaterialOut}, summary="Add a material to the library")
def create_material(request: HttpRequest, payload: MaterialIn) -> Status[Material]:
    data = payload.dict(exclude={"unit_id"})
    return Status(201, services.material_create(actor=request.user, unit=_unit(request, payload.unit_id), **data))  # type: ignore[arg-type]


@router.get("/media-pushes", response=MediaPushPage, summary="Reports pushed to media, in your scope")
def list_pushes(request: HttpRequest, filters: Query[PushFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return paginate(_filtered(MediaPushFilterSet, filters, MediaPush.objects.visible_to(request.user)), pages)


@router.post("/media-pushes", response={201: MediaPushOut}, summary="Record a media push (http(s) links only)")
def create_push(request: HttpRequest, payload: MediaPushIn) -> Status[MediaPush]:
    outlet = get_object_or_404(Outlet, pk=payload.outlet_id)
    data = payload.dict(exclude={"unit_id", "outlet_id"})
    return Status(201, services.media_push_create(actor=request.user, unit=_unit(request, payload.unit_id),  # type: ignore[arg-type]
                                                  outlet=outlet, **data))


@router.get("/forwards", response=ForwardPage, summary="Official messages forwarded, in your scope")
def list_forwards(request: HttpRequest, filters: Query[ListFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return paginate(_filtered(ForwardFilterSet, filters, OfficialForward.objects.visible_to(request.user)), pages)


@router.post("/forwards", response={201: ForwardOut}, summary="Report official messages forwarded")
def create_forward(request: HttpRequest, payload: ForwardIn) -> Status[OfficialForward]:
    person = (get_object_or_404(Person.objects.visible_to(request.user), pk=payload.person_id)
              if payload.person_id is not None else None)
    data = payload.dict(exclude={"unit_id", "person_id"})
    return Status(201, services.forward_record(actor=request.user, unit=_unit(request, payload.unit_id),  # type: ignore[arg-type]
                                               person=person, **data))


@router.get("/pledges", response=list[PublicityPledgeOut], summary="Pledges")
def list_pledges(request: HttpRequest) -> Any:
    return list(Pledge.objects.visible_to(request.user))  # type: ignore[attr-defined]


@router.get("/signatures", response=SignaturePage, summary="Pledge signatures in your scope")
def list_signatures(request: HttpRequest, filters: Query[SignatureFilters], pages: Query[PageParams]) -> dict[str, Any]:
    qs = PledgeSignature.objects.visible_to(request.user).select_related("person")
    return paginate(_filtered(SignatureFilterSet, filters, qs), pages)


@router.post("/pledges/{pledge_id}/signatures", response={201: MySignatureOut},
             summary="Sign a pledge (as yourself, or record a member's signature)")
def sign(request: HttpRequest, pledge_id: int, payload: PublicitySignIn) -> Status[dict[str, Any]]:
    pledge = get_object_or_404(Pledge.objects.visible_to(request.user), pk=pledge_id)  # type: ignore[attr-defined]
    person = (get_object_or_404(Person.objects.visible_to(request.user), pk=payload.person_id)
              if payload.person_id is not None else None)
    signature = services.pledge_sign(actor=request.user, pledge=pledge, person=person)  # type: ignore[arg-type]
    return Status(201, _mine(request, signature))


def _mine(request: HttpRequest, signature: PledgeSignature) -> dict[str, Any]:
    return {"signature": signature,
            "share_url": request.build_absolute_uri(reverse("publicity:share", args=[signature.share_code])),
            **share_figures(signature)}


@router.get("/pledges/{pledge_id}/mine", response=MySignatureOut, summary="Your signature, share link and its counts")
def my_signature(request: HttpRequest, pledge_id: int) -> dict[str, Any]:
    person = getattr(request.user, "person", None)
    signature = get_object_or_404(PledgeSignature.objects.select_related("person"), pledge_id=pledge_id,
                                  person=person) if person else None
    if signature is None:
        from django.http import Http404

        raise Http404
    return _mine(request, signature)


class DeedFilters(Schema):
    status: str | None = None
    published_before: dt.datetime | None = None


@router.get("/deeds", response=DeedPage, summary="Model deeds in your scope")
def list_deeds(request: HttpRequest, filters: Query[DeedFilters], pages: Query[PageParams]) -> dict[str, Any]:
    qs = ModelDeed.objects.visible_to(request.user).select_related("person")
    return paginate(_filtered(DeedFilterSet, filters, qs), pages)


@router.post("/deeds", response={201: DeedOut}, summary="Nominate a model deed")
def nominate(request: HttpRequest, payload: DeedIn) -> Status[ModelDeed]:
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=payload.person_id)
    return Status(201, services.deed_nominate(actor=request.user, branch=_unit(request, payload.branch_id),  # type: ignore[arg-type]
                                              person=person, title=payload.title, story=payload.story))


@router.post("/deeds/{deed_id}/review", response=DeedOut, summary="Approve, reject or publish a model deed")
def review(request: HttpRequest, deed_id: int, payload: ReviewIn) -> ModelDeed:
    deed = get_object_or_404(ModelDeed.objects.visible_to(request.user).select_related("person"), pk=deed_id)
    return services.deed_review(actor=request.user, deed=deed, decision=payload.decision, note=payload.note)  # type: ignore[arg-type]


class ChecklistOut(Schema):
    id: int
    branch_id: int
    person_id: int
    person_name: str
    kind: str = Field(description="six (六到位) or four (四带头)")
    items: list[str]
    note: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_person_name(obj: ChecklistEntry) -> str:
        return obj.person.name


class ChecklistIn(Schema):
    person_id: int
    kind: str
    items: list[str] = Field(description="The codes of the items in place (see GET /checklists/items).")
    note: str = ""


class ChecklistItemOut(Schema):
    kind: str
    code: str
    label: str


ChecklistPage = _page(ChecklistOut)


@router.get("/checklists/items", response=list[ChecklistItemOut], summary="The items of the two checklists")
def checklist_items(request: HttpRequest) -> list[dict[str, str]]:
    return [{"kind": kind, "code": code, "label": label}
            for kind, items in CHECKLIST_ITEMS.items() for code, label in items]


@router.get("/checklists", response=ChecklistPage, summary="Members' checklists in your scope")
def list_checklists(request: HttpRequest, pages: Query[PageParams], branch: int | None = None) -> dict[str, Any]:
    qs = ChecklistEntry.objects.visible_to(request.user).select_related("person")
    if branch is not None:
        qs = qs.filter(branch_id=branch)
    return paginate(qs.order_by("branch_id", "person_id", "kind"), pages)


@router.post("/checklists", response=ChecklistOut, summary="Save a member's checklist")
def save_checklist(request: HttpRequest, payload: ChecklistIn) -> ChecklistEntry:
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=payload.person_id)
    return services.checklist_save(actor=request.user, person=person, kind=payload.kind, items=payload.items,  # type: ignore[arg-type]
                                   note=payload.note)


@router.get("/comparison", response=ComparisonOut, summary="The ranking under the formula in use")
def ranking(request: HttpRequest, until: dt.date | None = None) -> dict[str, Any]:
    if not user_has_perm(request.user, "publicity.view"):
        raise PermissionDenied(_("Your role may not do this."))
    active = ScoreFormula.objects.filter(is_active=True).first()
    name, expression, since = ((active.name, active.expression, active.since) if active
                               else (str(_("Default")), comparison.DEFAULT_FORMULA, dt.date(2020, 1, 27)))
    day = until or as_of_default()
    result = comparison.ranking(expression, since, day)
    units = scope_unit_ids(request.user)  # type: ignore[arg-type]
    rows = []
    for row in result["rows"]:
        traceable = units is None or row["unit"].pk in units
        rows.append({"rank": row["rank"], "unit_id": row["unit"].pk, "unit_name": row["unit"].name,
                     "score": row["score"], "measures": [
                         {"item": key, "value": m.value, "numerator": m.numerator, "denominator": m.denominator,
                          "records_url": reverse("publicity:comparison_records", args=[key, row["unit"].pk])
                          + f"?since={since.isoformat()}&until={day.isoformat()}" if traceable else None}
                         for key, m in row["measures"].items()]})
    return {"name": name, "expression": expression, "since": since, "until": day,
            "items": [{"key": i.key, "label": str(i.label), "explain": str(i.explain), "rate": i.rate}
                      for i in result["items"]], "rows": rows}


@router.post("/comparison/formula", response={201: ComparisonOut}, summary="Set the formula (unknown items refused)")
def set_formula(request: HttpRequest, payload: FormulaIn) -> Status[dict[str, Any]]:
    services.formula_save(actor=request.user, name=payload.name, expression=payload.expression,  # type: ignore[arg-type]
                          since=payload.since)
    return Status(201, ranking(request))


@router.get("/figures", response=PublicityFiguresOut, summary="The campaign's figures as of a day")
def figures(request: HttpRequest, as_of: dt.date | None = None) -> dict[str, Any]:
    if not user_has_perm(request.user, "publicity.view"):
        raise PermissionDenied(_("Your role may not do this."))
    day = as_of or as_of_default()
    user = request.user
    return {"as_of": day, **selectors.publicity_figures(
        signatures=PledgeSignature.objects.visible_to(user), shares=ShareCount.objects.visible_to(user),
        forwards=OfficialForward.objects.visible_to(user), pushes=MediaPush.objects.visible_to(user),
        deeds=ModelDeed.objects.visible_to(user), day=day)}
