from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import user_has_perm
from fangkong.orgs.models import Unit

from . import services
from .filtersets import PersonFilterSet
from .models import Person

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    birth_year: int = Field(description="The year only: beside the masked number, a birth date would complete it.")
    id_number: str = Field(description="Masked (220602********1234).")
    phone: str = Field(description="Masked (139****1234).")
    unit_id: int
    unit_name: str
    position: str
    title: str
    is_cadre: bool
    is_party_member: bool
    branch_id: int | None

    @staticmethod
    def resolve_id_number(obj: Person) -> str:
        return obj.masked_id_number

    @staticmethod
    def resolve_phone(obj: Person) -> str:
        return obj.masked_phone

    @staticmethod
    def resolve_unit_name(obj: Person) -> str:
        return obj.unit.name


class PersonPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PersonOut]


class PersonFilters(Schema):
    q: str | None = Field(None, max_length=50, description="Name, pinyin initials, phone tail; a full ID number or phone only for roles that may reveal them.")
    unit: int | None = Field(None, description="A unit id: people of that unit and every unit below it.")
    position: str | None = None
    is_cadre: bool | None = None
    is_party_member: bool | None = None
    ordering: str | None = Field(None, description="name, -name, unit, -unit, birth_year, -birth_year")


class PersonIn(Schema):
    name: str
    id_number: str
    phone: str = ""
    unit_id: int
    position: str = "staff"
    title: str = ""
    is_cadre: bool = False
    is_party_member: bool = False
    branch_id: int | None = None


class PersonPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    unit_id: int | None = None
    position: str | None = None
    title: str | None = None
    is_cadre: bool | None = None
    is_party_member: bool | None = None
    branch_id: int | None = None


def _units(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    visible = Unit.objects.visible_to(request.user)
    if "unit_id" in data:
        data["unit"] = get_object_or_404(visible, pk=data.pop("unit_id"))
    if "branch_id" in data:
        branch_id = data.pop("branch_id")
        data["branch"] = get_object_or_404(visible, pk=branch_id) if branch_id else None
    return data


def _editable(request: HttpRequest, person_id: int) -> Person:
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)
    if not user_has_perm(request.user, "people.change"):
        raise PermissionDenied(_("Your role may not change people."))
    return person


@router.get("", response=PersonPage, summary="List people in your scope")
def list_people(request: HttpRequest, filters: Query[PersonFilters], pages: Query[PageParams]) -> dict[str, Any]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = PersonFilterSet(data, queryset=Person.objects.visible_to(request.user).select_related("unit"),
                                request=request)
    qs = filterset.qs if filterset.is_valid() else Person.objects.none()
    if "ordering" not in data:
        qs = qs.order_by("name_initials", "id")
    return paginate(qs, pages)


@router.get("/{person_id}", response=PersonOut, summary="One person")
def get_person(request: HttpRequest, person_id: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user).select_related("unit"), pk=person_id)


@router.post("", response={201: PersonOut}, summary="Add a person")
def create_person(request: HttpRequest, payload: PersonIn) -> Status:
    if not user_has_perm(request.user, "people.change"):
        raise PermissionDenied(_("Your role may not change people."))
    data = _units(request, payload.dict())
    return Status(201, services.person_create(actor=request.user, **data))  # type: ignore[arg-type]


@router.patch("/{person_id}", response=PersonOut, summary="Change a person")
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Person:
    person = _editable(request, person_id)
    data = _units(request, payload.dict(exclude_unset=True))
    return services.person_update(actor=request.user, person=person, **data)  # type: ignore[arg-type]


@router.delete("/{person_id}", response={204: None}, summary="Delete a person")
def delete_person(request: HttpRequest, person_id: int) -> Status:
    person = _editable(request, person_id)
    services.person_delete(actor=request.user, person=person)  # type: ignore[arg-type]
    return Status(204, None)


class RosterProblemOut(Schema):
    row: int
    column: str
    value: str
    reason: str


class RosterImportOut(Schema):
    sha256: str
    ok: bool
    committed: bool
    needs_mapping: bool
    message: str
    header: dict[str, Any] | None
    counts: dict[str, int]
    not_imported: list[str]
    problems: list[RosterProblemOut]


@router.post("/roster/import", response=RosterImportOut,
             summary="Import staff and cadres from a roster (preview, or commit when clean)")
def import_roster(
    request: HttpRequest, file: File[UploadedFile], commit: Form[bool] = False, mapping: Form[str] = "",
) -> dict[str, Any]:
    """The roster as ``fangkong import_people`` reads it. ``mapping`` places columns the platform
    does not know: a JSON object header → field ("" for not imported), remembered for the header
    set. When a column still needs placing, ``needs_mapping`` is true and ``header`` lists every
    column with its first values (masked) and a suggestion."""
    import tempfile
    from pathlib import Path

    from django.conf import settings
    from ninja.errors import HttpError

    from fangkong.core.columnmap import MappingNeeded
    from fangkong.core.mappings import mapping_field
    from fangkong.returnees.ledger.sniff import LedgerFileError

    from .imports import commit_people, plan_people

    if not user_has_perm(request.user, "people.change"):
        raise PermissionDenied(_("Your role may not change people."))
    if file.size and file.size > settings.FANGKONG_IMPORT_MAX_BYTES:
        raise HttpError(413, _("The file is larger than the import limit."))
    placed = mapping_field(mapping)
    empty = {"committed": False, "counts": {}, "not_imported": [], "problems": []}
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        for chunk in file.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            plan = plan_people(Path(tmp.name), actor=request.user, mapping=placed)  # type: ignore[arg-type]
        except MappingNeeded as needed:
            return {**empty, "sha256": "", "ok": False, "needs_mapping": True, "message": needed.message,
                    "header": needed.plan.as_dict()}
        except LedgerFileError as exc:
            raise HttpError(400, str(exc)) from exc
    committed = False
    if commit and plan.ok:
        commit_people(plan, actor=request.user, file_name=file.name or "roster")  # type: ignore[arg-type]
        committed = True
    return {"sha256": plan.sha256, "ok": plan.ok, "committed": committed, "needs_mapping": False, "message": "",
            "header": None, "counts": plan.counts(), "not_imported": plan.not_imported,
            "problems": [p.as_dict() for p in plan.problems[:1000]]}
