"""Ledger imports: store the upload, preview it (nothing written), commit it all-or-nothing.

Preview and commit both read the stored file again in a separate, limited process and validate
every row against the database and the uploader's scope; commit writes only when there is not
one problem. Large files run as a background task and report progress.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.ahead import ahead
from fangkong.core.idcard import mask_id_number, mask_phone
from fangkong.core.scoping import user_has_perm

from .choices import ImportStatus, Side
from .models import LedgerImport
from .services import ApplyResult, RowError, RowValidator, apply_rows

if TYPE_CHECKING:
    from fangkong.accounts.models import User

    from .ledger import LedgerBatch

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


class _Rejected(Exception):
    """A commit found problems: everything written so far is rolled back."""


def check_committer(ledger_import: LedgerImport, actor: User | None) -> None:
    """Only the uploader commits an import (the web, the API and the command line alike): the
    preview was made in their scope, and the audit and every registration name who acted."""
    if actor is not None and actor.pk != ledger_import.uploaded_by_id:
        raise PermissionDenied(_("Only the uploader may commit this import."))


def import_run(ledger_import: LedgerImport, *, commit: bool, actor: User | None = None) -> LedgerImport:
    """Read, validate and (when ``commit`` and there is no problem) write a stored ledger.

    ``actor`` is who asks (None: the uploader, as for the background worker); a commit by anyone
    else is refused. The file goes through in batches: each is validated and, on commit, written
    inside the one transaction, which is rolled back as soon as the ledger turns out to have a
    problem. So a million-row ledger never sits in memory at once, and nothing of a rejected one
    stays written.
    """
    from .ledger import LedgerFileError, open_ledger

    if commit:
        check_committer(ledger_import, actor)
    actor = actor or ledger_import.uploaded_by
    side = ledger_import.side
    LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.RUNNING, progress=5)
    errors: list[dict[str, Any]] = []
    total = 0
    try:
        with _gc_paused(), open_ledger(ledger_import.stored_path, side=side) as stream:
            _progress(ledger_import, 40)
            validator = RowValidator(actor=actor, side=side)
            if not commit:
                for batch in stream.batches:
                    total += len(batch.rows)
                    errors += _batch_errors(batch, validator.validate(batch.rows, stream.columns)[1], stream.columns)
            else:
                # From here on, rows are validated and written batch by batch in one transaction
                # (whose own progress other connections could not see before it commits).
                _progress(ledger_import, 60)
                try:
                    with transaction.atomic():
                        result = ApplyResult()
                        for batch, (clean, problems) in _validated_ahead(stream.batches, validator, stream.columns):
                            total += len(batch.rows)
                            errors += _batch_errors(batch, problems, stream.columns)
                            if not errors and clean:
                                result.add(apply_rows(actor=actor, side=side, rows=clean, source_import=ledger_import))
                        if errors or not total:
                            raise _Rejected
                        ledger_import = _finish(
                            ledger_import, status=ImportStatus.COMMITTED, progress=100, created=result.created,
                            updated=result.updated, unchanged=result.unchanged, committed_at=timezone.now(),
                            total_rows=total, error_count=0, errors=[],
                        )
                        audit_log(
                            actor=actor, action=Action.CREATE, obj=ledger_import,
                            detail=(f"ledger import side={ledger_import.side} sha256={ledger_import.sha256} "
                                    f"rows={total} created={result.created} updated={result.updated} "
                                    f"unchanged={result.unchanged}"),
                        )
                        return ledger_import
                except _Rejected:
                    pass
    except LedgerFileError as exc:
        return _finish(ledger_import, status=ImportStatus.FAILED, message=str(exc)[:300], progress=100)
    except Exception:
        LedgerImport.objects.filter(pk=ledger_import.pk).update(
            status=ImportStatus.FAILED, progress=100, message=_("The import failed; nothing was written."))
        raise
    errors.sort(key=lambda e: (e["row"], e["column"]))
    base = {"total_rows": total, "error_count": len(errors), "errors": errors[:MAX_STORED_ERRORS]}
    status = ImportStatus.REJECTED if errors and commit else ImportStatus.PREVIEW
    if not errors and not total:
        status = ImportStatus.REJECTED
        base["message"] = _("The ledger has no rows.")
    return _finish(ledger_import, status=status, progress=100, **base)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a ledger is read and written: its rows are hundreds of
    thousands of live objects, which each full collection would walk again (about a tenth of this
    process's time) to free almost nothing; reference counting still frees them as they go. The
    pause is process-wide, for the seconds the import lasts."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validated_ahead(
    batches: Iterator[LedgerBatch], validator: RowValidator, columns: dict[str, str]
) -> Iterator[tuple[LedgerBatch, tuple[list[dict[str, Any]], list[RowError]]]]:
    """Each batch with its validation, the next batch being read and validated in a thread while
    the caller writes this one: the database works on one batch while Python checks the next.

    Reading and validating touch no database (the validator has read its units already), so the
    thread needs no connection; the one transaction stays the caller's.
    """
    return ahead((batch, validator.validate(batch.rows, columns)) for batch in batches)


def _batch_errors(batch: LedgerBatch, problems: list[RowError], columns: dict[str, str]) -> list[dict[str, Any]]:
    """The problems as stored with the import: a value in the ID number or phone column masked
    (those are kept sealed everywhere else; the uploader has the file and the row number)."""
    masks = {columns.get("id_number"): mask_id_number, columns.get("phone"): mask_phone}
    return [
        {"row": e.row, "column": e.column, "value": masks.get(e.column, str)(e.value), "reason": e.reason}
        for e in batch.errors
    ] + [e.as_dict() for e in problems]


def import_start(ledger_import: LedgerImport, *, commit: bool, actor: User | None = None) -> LedgerImport:
    """Run small ledgers now; hand large ones to the background worker (which acts as the
    uploader: only they may ask for a commit)."""
    if commit:
        check_committer(ledger_import, actor)
    size = Path(ledger_import.stored_path).stat().st_size
    if size > settings.FANGKONG_IMPORT_BACKGROUND_BYTES:
        from .tasks import run_import

        LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.QUEUED, progress=0)
        run_import.enqueue(ledger_import.pk, commit)
        ledger_import.refresh_from_db()
        return ledger_import
    return import_run(ledger_import, commit=commit, actor=actor)
