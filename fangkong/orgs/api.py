import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import user_has_perm
from fangkong.returnees.ledger.sniff import LedgerFileError

from .filtersets import UnitFilterSet
from .models import Unit

router = Router(tags=["units"])


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_id: int | None
    level: int
    opened_on: dt.date | None
    closed_on: dt.date | None
    contact_phone: str


class UnitPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[UnitOut]


class UnitFilters(Schema):
    q: str | None = None
    kind: str | None = None
    parent: int | None = None
    under: int | None = None
    open_on: dt.date | None = None


@router.get("", response=UnitPage, summary="List units in your scope")
def list_units(request: HttpRequest, filters: Query[UnitFilters], pages: Query[PageParams]) -> dict[str, object]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = UnitFilterSet(data, queryset=Unit.objects.visible_to(request.user))
    qs = filterset.qs if filterset.is_valid() else Unit.objects.none()
    return paginate(qs.order_by("code"), pages)


@router.get("/{unit_id}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(request.user), pk=unit_id)


class ImportProblemOut(Schema):
    row: int
    column: str
    value: str
    reason: str


class TreeImportOut(Schema):
    sha256: str
    ok: bool
    committed: bool
    needs_mapping: bool
    message: str
    header: dict[str, Any] | None
    counts: dict[str, int]
    not_imported: list[str]
    problems: list[ImportProblemOut]


@router.post("/tree/import", response=TreeImportOut, summary="Import the organisation tree from a spreadsheet (preview, or commit)")
def import_tree(
    request: HttpRequest, file: File[UploadedFile], commit: Form[bool] = False,
    close_missing: Form[dt.date | None] = None, mapping: Form[str] = "",
) -> dict[str, Any]:
    """The file as ``fangkong import_tree`` reads it. Without ``commit`` nothing is written; with it
    the tree is written only when the file has no problem (all or nothing). ``close_missing``
    closes, as of that date, every open unit the file no longer lists. ``mapping`` places columns
    the platform does not know (a JSON object header → field, "" for not imported), remembered for
    the header set; while a column still needs placing, ``needs_mapping`` is true and ``header``
    lists every column with its first values and a suggestion."""
    from fangkong.core.columnmap import MappingNeeded
    from fangkong.core.mappings import mapping_field

    from .tree_import import commit_tree, plan_tree

    if not user_has_perm(request.user, "orgs.change"):
        raise PermissionDenied(_("Your role may not change the organisation tree."))
    if file.size and file.size > settings.FANGKONG_IMPORT_MAX_BYTES:
        raise HttpError(413, _("The file is larger than the import limit."))
    placed = mapping_field(mapping)
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        for chunk in file.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            plan = plan_tree(Path(tmp.name), actor=request.user, close_missing=close_missing,  # type: ignore[arg-type]
                             mapping=placed)
        except MappingNeeded as needed:
            return {"sha256": "", "ok": False, "committed": False, "needs_mapping": True, "message": needed.message,
                    "header": needed.plan.as_dict(), "counts": {}, "not_imported": [], "problems": []}
        except LedgerFileError as exc:
            raise HttpError(400, str(exc)) from exc
    committed = False
    if commit and plan.ok:
        commit_tree(plan, actor=request.user, close_on=close_missing, file_name=file.name or "tree")  # type: ignore[arg-type]
        committed = True
    return {"sha256": plan.sha256, "ok": plan.ok, "committed": committed, "needs_mapping": False, "message": "",
            "header": None, "counts": plan.counts(), "not_imported": plan.not_imported,
            "problems": [p.as_dict() for p in plan.problems[:1000]]}
