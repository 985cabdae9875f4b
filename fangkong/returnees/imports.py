"""Ledger imports: store the upload, preview it (nothing written), commit it all-or-nothing.

Preview and commit both read the stored file again in a separate, limited process and validate
every row against the database and the uploader's scope; commit writes only when there is not
one problem. Large files run as a background task and report progress.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.scoping import user_has_perm

from .choices import ImportStatus, Side
from .models import LedgerImport
from .services import apply_rows, validate_rows

if TYPE_CHECKING:
    from fangkong.accounts.models import User

MAX_STORED_ERRORS = 2000


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "ledgers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_create(*, actor: User, side: str, source: Path, file_name: str) -> LedgerImport:
    """Keep a copy of the uploaded file under its SHA-256 and record the import (queued)."""
    if not user_has_perm(actor, "returnees.change"):
        raise PermissionDenied(_("Your role may not do this."))
    if side not in Side.values:
        raise ValueError(side)
    digest = sha256_of(source)
    stored = upload_dir() / f"{digest}.bin"
    if not stored.exists():
        shutil.copyfile(source, stored)
    scope = actor.scopes.select_related("unit").order_by("unit__level").first()
    return LedgerImport.objects.create(
        side=side, file_name=file_name[:200], sha256=digest, stored_path=str(stored), uploaded_by=actor,
        scope_unit=scope.unit if scope else None,
    )


def _progress(ledger_import: LedgerImport, value: int) -> None:
    LedgerImport.objects.filter(pk=ledger_import.pk).update(progress=value)


def _finish(ledger_import: LedgerImport, **fields: Any) -> LedgerImport:
    for name, value in fields.items():
        setattr(ledger_import, name, value)
    ledger_import.save()
    return ledger_import


def import_run(ledger_import: LedgerImport, *, commit: bool) -> LedgerImport:
    """Read, validate and (when ``commit`` and there is no problem) write a stored ledger."""
    from .ledger import LedgerFileError, read_ledger

    actor = ledger_import.uploaded_by
    LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.RUNNING, progress=5)
    try:
        parsed = read_ledger(ledger_import.stored_path, side=ledger_import.side)
    except LedgerFileError as exc:
        return _finish(ledger_import, status=ImportStatus.FAILED, message=str(exc)[:300], progress=100)
    _progress(ledger_import, 40)
    clean, problems = validate_rows(actor=actor, side=ledger_import.side, rows=parsed.rows, columns=parsed.columns)
    errors = [
        {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason} for e in parsed.errors
    ] + [e.as_dict() for e in problems]
    errors.sort(key=lambda e: (e["row"], e["column"]))
    _progress(ledger_import, 60)
    base = {"total_rows": len(parsed.rows), "error_count": len(errors), "errors": errors[:MAX_STORED_ERRORS]}
    if errors or not commit:
        status = ImportStatus.REJECTED if errors and commit else ImportStatus.PREVIEW
        if not errors and not parsed.rows:
            status = ImportStatus.REJECTED
            base["message"] = _("The ledger has no rows.")
        return _finish(ledger_import, status=status, progress=100, **base)
    try:
        with transaction.atomic():
            result = apply_rows(actor=actor, side=ledger_import.side, rows=clean, source_import=ledger_import)
            ledger_import = _finish(
                ledger_import, status=ImportStatus.COMMITTED, progress=100, created=result.created,
                updated=result.updated, unchanged=result.unchanged, committed_at=timezone.now(), **base,
            )
            audit_log(
                actor=actor, action=Action.CREATE, obj=ledger_import,
                detail=(f"ledger import side={ledger_import.side} sha256={ledger_import.sha256} "
                        f"rows={len(clean)} created={result.created} updated={result.updated} "
                        f"unchanged={result.unchanged}"),
            )
    except Exception:
        LedgerImport.objects.filter(pk=ledger_import.pk).update(
            status=ImportStatus.FAILED, progress=100, message=_("The import failed; nothing was written."))
        raise
    return ledger_import


def import_start(ledger_import: LedgerImport, *, commit: bool) -> LedgerImport:
    """Run small ledgers now; hand large ones to the background worker."""
    size = Path(ledger_import.stored_path).stat().st_size
    if size > settings.FANGKONG_IMPORT_BACKGROUND_BYTES:
        from .tasks import run_import

        LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.QUEUED, progress=0)
        run_import.enqueue(ledger_import.pk, commit)
        ledger_import.refresh_from_db()
        return ledger_import
    return import_run(ledger_import, commit=commit)
