"""Ledger imports: store the upload, preview it (nothing written), commit it all-or-nothing.

Preview and commit both read the stored file again in a separate, limited process and validate
every row against the database and the uploader's scope; commit writes only when there is not
one problem. Past Limits.max_problems problems the reading stops: a hostile file costs a bounded
amount of memory and time. Large files run as a background task and report progress. Where the
uploads are kept, the quota and their deletion: uploads.py.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.ahead import ahead
from fangkong.core.idcard import mask_id_number, mask_phone
from fangkong.core.scoping import user_has_perm

from .choices import ImportStatus, Side
from .models import LedgerImport
from .services import ApplyResult, RowValidator, apply_rows
from .uploads import store_upload, upload_dir

if TYPE_CHECKING:
    from fangkong.accounts.models import User

    from .ledger import LedgerBatch

__all__ = ["import_create", "import_run", "import_start", "sha256_of", "upload_dir"]

# Rows the validator checks at a time within a batch: it stops at the slice where the batch's
# problems pass the budget, so rows naming thousands of unknown units cost a few slices of close-name
# suggestions rather than a batch of them.
VALIDATE_SLICE = 2000


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_create(*, actor: User, side: str, source: Path, file_name: str) -> LedgerImport:
    """Keep a copy of the uploaded file under its SHA-256 and record the import (queued).

    An upload that would pass the uploader's quota of stored uploads not committed is recorded
    rejected, with the reason, and not stored (uploads.store_upload)."""
    if not user_has_perm(actor, "returnees.change"):
        raise PermissionDenied(_("Your role may not do this."))
    if side not in Side.values:
        raise ValueError(side)
    digest = sha256_of(source)
    stored = upload_dir() / f"{digest}.bin"
    scope = actor.scopes.select_related("unit").order_by("unit__level").first()
    record = LedgerImport(
        side=side, file_name=file_name[:200], sha256=digest, stored_path=str(stored), uploaded_by=actor,
        scope_unit=scope.unit if scope else None, file_size=source.stat().st_size,
    )
    return store_upload(record=record, source=source)


def _refused_on_upload(ledger_import: LedgerImport) -> bool:
    """Refused before it was stored (over the quota): there is nothing to read."""
    return ledger_import.status == ImportStatus.REJECTED and not ledger_import.stored_path


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


def import_run(
    ledger_import: LedgerImport, *, commit: bool, actor: User | None = None, own_process: bool = False
) -> LedgerImport:
    """Read, validate and (when ``commit`` and there is no problem) write a stored ledger.

    ``actor`` is who asks (None: the uploader, as for the background worker); a commit by anyone
    else is refused. The file goes through in batches: each is validated and, on commit, written
    inside the one transaction, which is rolled back as soon as the ledger turns out to have a
    problem. So a million-row ledger never sits in memory at once, and nothing of a rejected one
    stays written. Past Limits.max_problems problems the reading stops (the child parser is
    stopped with it): the first problems are kept, the message says that checking stopped.
    ``own_process``: the caller is a process of its own (the background worker, the command line),
    where the import may pause the cyclic garbage collector; never in a web process, whose other
    threads it would pause too.
    """
    from .ledger import LedgerFileError, Limits, open_ledger
    from .ledger.problems import ProblemList

    if _refused_on_upload(ledger_import):
        return ledger_import
    if commit:
        check_committer(ledger_import, actor)
    actor = actor or ledger_import.uploaded_by
    side = ledger_import.side
    if not ledger_import.stored_path or not Path(ledger_import.stored_path).is_file():
        return _finish(ledger_import, status=ImportStatus.FAILED, progress=100,
                       message=_("The uploaded file is no longer kept (files of uploads that were not committed "
                                 "are deleted after the retention period). Upload it again."))
    LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.RUNNING, progress=5)
    limits = Limits.from_settings()
    problems: ProblemList[dict[str, Any]] = ProblemList(limits.max_problems)
    total = 0
    try:
        with _gc_paused() if own_process else contextlib.nullcontext(), open_ledger(ledger_import.stored_path, side=side, limits=limits) as stream:
            _progress(ledger_import, 40)
            validator = RowValidator(actor=actor, side=side)
            if not commit:
                for batch in stream.batches:
                    total += len(batch.rows)
                    _clean, found, count = _checked(batch, validator, stream.columns, problems.room)
                    problems.add(found, count=count)
                    if problems.full:
                        break
            else:
                # From here on, rows are validated and written batch by batch in one transaction
                # (whose own progress other connections could not see before it commits).
                _progress(ledger_import, 60)
                try:
                    with (transaction.atomic(),
                          contextlib.closing(_checked_ahead(stream.batches, validator, stream.columns,
                                                            limits.max_problems + 1)) as checked):
                        result = ApplyResult()
                        for batch, (clean, found, count) in checked:
                            total += len(batch.rows)
                            problems.add(found, count=count)
                            if not problems.count and clean:
                                result.add(apply_rows(actor=actor, side=side, rows=clean, source_import=ledger_import))
                            if problems.full:
                                break
                        if problems.count or not total:
                            raise _Rejected
                        ledger_import = _finish(
                            ledger_import, status=ImportStatus.COMMITTED, progress=100, created=result.created,
                            updated=result.updated, unchanged=result.unchanged, committed_at=clock.now(),
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
    base: dict[str, Any] = {"total_rows": total, "error_count": problems.count, "errors": problems.kept,
                            "message": problems.message}
    status = ImportStatus.REJECTED if problems.count and commit else ImportStatus.PREVIEW
    if not problems.count and not total:
        status = ImportStatus.REJECTED
        base["message"] = _("The ledger has no rows.")
    return _finish(ledger_import, status=status, progress=100, **base)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a ledger is read and written: its rows are hundreds of
    thousands of live objects, which each full collection would walk again (about a tenth of this
    process's time) to free almost nothing; reference counting still frees them as they go. The
    pause is process-wide, for the seconds the import lasts: only in a process of its own."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _checked_ahead(
    batches: Iterator[LedgerBatch], validator: RowValidator, columns: dict[str, str], budget: int
) -> Generator[tuple[LedgerBatch, tuple[list[dict[str, Any]], list[dict[str, Any]], int]], None, None]:
    """Each batch with its check (see _checked), the next batch being read and checked in a thread
    while the caller writes this one: the database works on one batch while Python checks the next.

    Reading and validating touch no database (the validator has read its units already), so the
    thread needs no connection; the one transaction stays the caller's. Closing it (the caller
    stopping early) lets the thread's step in progress end first.
    """
    yield from ahead((batch, _checked(batch, validator, columns, budget)) for batch in batches)


def _checked(
    batch: LedgerBatch, validator: RowValidator, columns: dict[str, str], budget: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The batch's clean rows, its first ``budget`` problems (the reader's and the validator's, in
    row and column order) and how many problems it has.

    The validator goes through the rows slice by slice and stops once the rows checked hold
    ``budget`` problems: no later row can have one of the first. Clean rows then matter no more
    (a ledger with a problem writes nothing).
    """
    # A value in the ID number or phone column is stored masked (those are kept sealed everywhere
    # else; the uploader has the file and the row number).
    masks = {columns.get("id_number"): mask_id_number, columns.get("phone"): mask_phone}
    read = [{"row": e.row, "column": e.column, "value": masks.get(e.column, str)(e.value), "reason": e.reason}
            for e in batch.errors]
    read_rows = [e["row"] for e in read]
    count = len(read) + batch.more
    clean: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    rows = batch.rows
    for start in range(0, len(rows), VALIDATE_SLICE):
        part = rows[start : start + VALIDATE_SLICE]
        if len(read) >= budget and part[0]["row"] > read[budget - 1]["row"]:
            break
        ok, problems = validator.validate(part, columns)
        clean += ok
        found += [e.as_dict() for e in problems]
        if len(found) + bisect.bisect_right(read_rows, part[-1]["row"]) >= budget:
            break
    count += len(found)
    merged = sorted(read + found, key=lambda e: (e["row"], e["column"]))
    return clean, merged[:budget], count


def import_start(ledger_import: LedgerImport, *, commit: bool, actor: User | None = None) -> LedgerImport:
    """Run small ledgers now; hand large ones to the background worker (which acts as the
    uploader: only they may ask for a commit)."""
    if _refused_on_upload(ledger_import):
        return ledger_import
    if commit:
        check_committer(ledger_import, actor)
    if ledger_import.file_size > settings.FANGKONG_IMPORT_BACKGROUND_BYTES:
        from .tasks import run_import

        LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.QUEUED, progress=0)
        run_import.enqueue(ledger_import.pk, commit)
        ledger_import.refresh_from_db()
        return ledger_import
    return import_run(ledger_import, commit=commit, actor=actor)
