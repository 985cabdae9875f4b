"""Accounts through the API: accounts in bulk (preview, or commit answered with the slips)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from fangkong.core import clock
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.mappings import mapping_field
from fangkong.core.scoping import user_has_perm
from fangkong.returnees.ledger.sniff import LedgerFileError

from .bulk import commit_accounts, plan_accounts
from .slips import slips_pdf

router = Router(tags=["accounts"])


class ProblemOut(Schema):
    row: int
    column: str
    value: str
    reason: str


class AccountRowOut(Schema):
    row: int
    username: str
    full_name: str
    unit: str
    role: str
    outcome: str


class AccountsImportOut(Schema):
    sha256: str
    ok: bool
    needs_mapping: bool
    message: str
    header: dict[str, Any] | None
    counts: dict[str, int]
    not_imported: list[str]
    rows: list[AccountRowOut]
    problems: list[ProblemOut]


@router.post(
    "/import", response=AccountsImportOut,
    summary="Open accounts in bulk: a preview, or with commit the account slips (application/pdf)",
)
def import_accounts(
    request: HttpRequest, file: File[UploadedFile], commit: Form[bool] = False, mapping: Form[str] = "",
) -> Any:
    """Without ``commit`` the answer is the preview (JSON). With ``commit`` and a file without
    problems, the accounts are created and the answer is the slips PDF: the only copy of the
    one-time passwords. A file with problems is answered with its preview and nothing is written.
    ``mapping`` places columns the platform does not know (a JSON object header → field, "" for not
    imported); while a column still needs placing, ``needs_mapping`` is true and ``header`` lists
    every column."""
    if not user_has_perm(request.user, "accounts.grant"):
        raise PermissionDenied(_("Your role may not do this."))
    if file.size and file.size > settings.FANGKONG_IMPORT_MAX_BYTES:
        raise HttpError(413, _("The file is larger than the import limit."))
    placed = mapping_field(mapping)
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        for chunk in file.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            plan = plan_accounts(Path(tmp.name), actor=request.user, mapping=placed)  # type: ignore[arg-type]
        except MappingNeeded as needed:
            return {"sha256": "", "ok": False, "needs_mapping": True, "message": needed.message,
                    "header": needed.plan.as_dict(), "counts": {}, "not_imported": [], "rows": [], "problems": []}
        except LedgerFileError as exc:
            raise HttpError(400, str(exc)) from exc
    if commit and plan.ok:
        _counts, slips = commit_accounts(plan, actor=request.user, file_name=file.name or "accounts")  # type: ignore[arg-type]
        response = HttpResponse(slips_pdf(slips, site_url=request.build_absolute_uri("/")), content_type="application/pdf")
        name = f"账号通知单-{clock.today().isoformat()}.pdf"
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        return response
    rows = [{"row": r.row, "username": r.username, "full_name": r.full_name, "unit": r.unit.code if r.unit else "",
             "role": r.role, "outcome": "new" if r.existing is None else "reset" if r.reset else "unchanged"}
            for r in plan.rows[:5000]]
    return {"sha256": plan.sha256, "ok": plan.ok, "needs_mapping": False, "message": "", "header": None,
            "counts": plan.counts(), "not_imported": plan.not_imported, "rows": rows,
            "problems": [p.as_dict() for p in plan.problems[:1000]]}
