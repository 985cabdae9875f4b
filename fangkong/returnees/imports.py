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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.ahead import ahead
from fangkong.core.columnmap import mapping_from_choices, normalize_header
from fangkong.core.idcard import mask_id_number, mask_phone
from fangkong.core.mappings import remember, remembered_for
from fangkong.core.scoping import user_has_perm

from .choices import ImportStatus, Side
from .models import LedgerImport
from .services import ApplyResult, RowValidator, apply_rows
from .uploads import store_upload, upload_dir

if TYPE_CHECKING:
    from fangkong.accounts.models import User

    from .ledger import LedgerBatch

__all__ = ["import_create", "import_map", "import_run", "import_start", "sha256_of", "upload_dir"]

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


def import_create(
    *, actor: User, side: str, source: Path, file_name: str, mapping: dict[str, str] | None = None,
    strict: bool = False,
) -> LedgerImport:
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
        scope_unit=scope.unit if scope else None, file_size=source.stat().st_size, mapping=mapping or {},
        strict=strict,
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


def mapping_kind(side: str) -> str:
    """The kind of list a remembered mapping is kept under (core.mappings)."""
    return f"returnees.{side}"


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

    The columns are placed once, before the rows are read (the synonyms, the import's own
    ``mapping``, the one remembered for the unit and header set); when the user must choose, the
    import stops at MAPPING with every column listed. A preview writes the clean rows in a
    transaction that is rolled back, to tell new / updated / unchanged / made dual-reported
    exactly as the commit would. With ``per_row`` the commit writes the valid rows and keeps the
    others' problems (the rejected-rows file, rejected_rows_xlsx, is made from them).
    """
    from .ledger import LedgerFileError, Limits, open_ledger
    from .ledger.columns import LedgerMappingNeeded, missing_message
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
    warnings: list[dict[str, Any]] = []
    sample: list[dict[str, Any]] = []
    per_row = commit and ledger_import.per_row
    total = 0
    preview: dict[str, Any] = {"committed_before": _committed_before(ledger_import)}
    try:
        with _gc_paused() if own_process else contextlib.nullcontext(), open_ledger(
            ledger_import.stored_path, side=side, limits=limits, mapping=ledger_import.mapping,
            remembered=remembered_for(mapping_kind(side), ledger_import.scope_unit_id), strict=ledger_import.strict,
        ) as stream:
            _progress(ledger_import, 40)
            validator = RowValidator(actor=actor, side=side)
            preview.update(stream.plan.as_dict() if stream.plan else {})
            if not commit:
                split = ApplyResult()
                with _rolled_back():
                    for batch in stream.batches:
                        total += len(batch.rows)
                        if len(sample) < SAMPLE_ROWS:
                            sample += [_shown(row) for row in batch.rows[: SAMPLE_ROWS - len(sample)]]
                        _warn(warnings, batch, stream.columns)
                        clean, found, count = _checked(batch, validator, stream.columns, problems.room)
                        problems.add(found, count=count)
                        if clean and not problems.full and total <= SPLIT_ROWS:
                            split.add(apply_rows(actor=actor, side=side, rows=clean, source_import=ledger_import))
                        if problems.full:
                            break
                if total <= SPLIT_ROWS:
                    preview["split"] = {"created": split.created, "updated": split.updated,
                                        "unchanged": split.unchanged, "dual": split.dual}
            else:
                # From here on, rows are validated and written batch by batch in one transaction
                # (whose own progress other connections could not see before it commits).
                _progress(ledger_import, 60)
                try:
                    with (transaction.atomic(),
                          contextlib.closing(_checked_ahead(stream.batches, validator, stream.columns,
                                                            limits.max_problems + 1)) as checked):
                        result = ApplyResult()
                        not_isolated: list[tuple[str, int]] = []
                        for batch, (clean, found, count) in checked:
                            total += len(batch.rows)
                            _warn(warnings, batch, stream.columns)
                            not_isolated += batch.not_isolated
                            problems.add(found, count=count)
                            if clean and (not problems.count or (per_row and not problems.full)):
                                result.add(apply_rows(actor=actor, side=side, rows=clean, source_import=ledger_import))
                            if problems.full:
                                break
                        if (problems.count and not per_row) or problems.full or not total:
                            raise _Rejected
                        rejected = len({e["row"] for e in problems.kept})
                        if rejected == total:
                            raise _Rejected
                        preview["split"] = {"created": result.created, "updated": result.updated,
                                            "unchanged": result.unchanged, "dual": result.dual}
                        preview["warnings"] = warnings
                        _flag_not_isolated(ledger_import, not_isolated)
                        ledger_import = _finish(
                            ledger_import, status=ImportStatus.COMMITTED, progress=100, created=result.created,
                            updated=result.updated, unchanged=result.unchanged, committed_at=clock.now(),
                            total_rows=total, error_count=problems.count, errors=problems.kept, rejected=rejected,
                            preview={**ledger_import.preview, **preview},
                        )
                        mode = f" per_row rejected={rejected}" if per_row else ""
                        audit_log(
                            actor=actor, action=Action.CREATE, obj=ledger_import,
                            detail=(f"ledger import side={ledger_import.side} sha256={ledger_import.sha256} "
                                    f"rows={total} created={result.created} updated={result.updated} "
                                    f"unchanged={result.unchanged} dual={result.dual}{mode}"),
                        )
                        return ledger_import
                except _Rejected:
                    pass
    except LedgerMappingNeeded as needed:
        preview.update(needed.plan.as_dict())
        return _finish(ledger_import, status=ImportStatus.MAPPING, progress=100, message=missing_message(needed.plan)[:300],
                       preview=preview, total_rows=0, error_count=0, errors=[])
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
    if per_row and problems.full:
        base["message"] = _("Too many rows have problems to commit the valid ones alone: correct the file.")
    if not commit:
        preview.update(rows=sample, warnings=warnings)
        base["preview"] = preview
    return _finish(ledger_import, status=status, progress=100, **base)


# Rows of the preview's table; rows past which the preview does not count new / updated / unchanged
# (the dry run writes them; a city's ledgers are far smaller, a benchmark file is not).
SAMPLE_ROWS = 20
SPLIT_ROWS = 200_000
MAX_WARNINGS = 200
SHOWN_FIELDS = ("name", "id_number", "phone", "employer", "community", "address", "category", "origin",
                "transport", "return_date", "notes")


class _DryRun(Exception):
    """Ends the preview's transaction: what it wrote is rolled back."""


@contextlib.contextmanager
def _rolled_back() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise _DryRun
    except _DryRun:
        pass


def _flag_not_isolated(ledger_import: LedgerImport, people: list[tuple[str, int]]) -> None:
    """Tell the community: the open isolation of each person the ledger says is not isolated
    though their category requires it carries the flag its follow-up list shows."""
    from fangkong.core.idcard import id_digest

    from .models import IsolationOrder

    for number, row in people:
        flag = _("The unit's ledger says not isolated at home (import %(id)s, row %(row)s): check on the spot.") % {
            "id": ledger_import.pk, "row": row}
        IsolationOrder.objects.filter(returnee__id_digest=id_digest(number), released_on__isnull=True).update(
            ledger_flag=flag[:200])


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the preview's table: the ID number and phone masked, as everywhere else."""
    shown = {key: row.get(key) for key in SHOWN_FIELDS}
    shown["row"] = row.get("row")
    shown["id_number"] = mask_id_number(shown["id_number"]) if shown["id_number"] else ""
    shown["phone"] = mask_phone(shown["phone"]) if shown["phone"] else ""
    shown["return_date"] = shown["return_date"].isoformat() if shown["return_date"] else ""
    return {k: ("" if v is None else v if isinstance(v, (int, str)) else str(v)) for k, v in shown.items()}


def _warn(warnings: list[dict[str, Any]], batch: LedgerBatch, columns: dict[str, str]) -> None:
    room = MAX_WARNINGS - len(warnings)
    if room > 0 and batch.warnings:
        warnings += [{"row": w.row, "column": w.column, "value": w.value, "reason": w.reason}
                     for w in batch.warnings[:room]]


def _committed_before(ledger_import: LedgerImport) -> dict[str, Any] | None:
    """The earlier commit of the same file on the same side, if any."""
    earlier = (LedgerImport.objects.filter(sha256=ledger_import.sha256, side=ledger_import.side,
                                           scope_unit=ledger_import.scope_unit, status=ImportStatus.COMMITTED)
               .exclude(pk=ledger_import.pk).order_by("-committed_at").first())
    if earlier is None or earlier.committed_at is None:
        return None
    return {"id": earlier.pk, "at": timezone.localtime(earlier.committed_at).strftime("%Y-%m-%d %H:%M"),
            "by": str(earlier.uploaded_by)}


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
    if read:  # rows the reader found a problem in are not clean, whatever their units
        bad = set(read_rows)
        clean = [row for row in clean if row["row"] not in bad]
    merged = sorted(read + found, key=lambda e: (e["row"], e["column"]))
    return clean, merged[:budget], count


def import_map(
    ledger_import: LedgerImport, *, actor: User, choices: dict[str, str], remember_it: bool = True
) -> LedgerImport:
    """The uploader places the columns: ``choices`` maps a column (its letter as the preview lists
    it, or its header) to a field key, or "" not to import it. The choice is kept for this import,
    remembered for the unit and the file's header set (so the same template goes straight through
    next time), and the preview is made again."""
    from .ledger.columns import check_mapping
    from .ledger.sniff import LedgerFileError

    check_committer(ledger_import, actor)
    if ledger_import.status not in (ImportStatus.MAPPING, ImportStatus.PREVIEW, ImportStatus.REJECTED):
        raise ValidationError(_("The columns of this import can no longer be changed."))
    columns = ledger_import.preview.get("columns") or []
    letters = {c["letter"] for c in columns}
    by_header = {normalize_header(c["header"]): c["letter"] for c in columns if c["header"]}
    placed: dict[str, str] = {}
    for column, key in choices.items():
        letter = column if column in letters else by_header.get(normalize_header(column))
        if letter is None:
            raise ValidationError(_("The file has no column %(column)s.") % {"column": column})
        placed[letter] = key
    mapping = mapping_from_choices(ledger_import.preview, placed)
    try:
        check_mapping(mapping, ledger_import.side)
    except LedgerFileError as exc:
        raise ValidationError(exc.message) from None
    ledger_import.mapping = {**ledger_import.mapping, **mapping}
    ledger_import.save(update_fields=["mapping"])
    ledger_import = import_run(ledger_import, commit=False, actor=actor)
    if remember_it:
        remember_mapping(ledger_import, actor=actor)
    return ledger_import


def remember_mapping(ledger_import: LedgerImport, *, actor: User) -> None:
    """Keep the import's own mapping for its unit and header set, once it places every column."""
    if (not ledger_import.mapping or ledger_import.status in (ImportStatus.MAPPING, ImportStatus.FAILED)
            or not ledger_import.preview.get("fingerprint")):
        return
    headers = [c["header"] for c in ledger_import.preview.get("columns", [])]
    remember(kind=mapping_kind(ledger_import.side), unit_id=ledger_import.scope_unit_id,
             fingerprint=ledger_import.preview["fingerprint"], mapping=ledger_import.mapping, headers=headers,
             actor=actor)
    audit_log(actor=actor, action=Action.UPDATE, obj=ledger_import,
              detail=("column mapping " + ", ".join(f"{h or '#'}={k or '-'}"
                                                    for h, k in ledger_import.mapping.items()))[:400])


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


REASON_HEADER = "问题说明"


def rejected_rows_xlsx(ledger_import: LedgerImport, *, actor: User) -> bytes:
    """The rows of the file that were not imported (every row with a problem), with their cells as
    the file has them and the reasons in an added column 问题说明, under the file's own headers:
    corrected and uploaded again, the same mapping reads it (the reason column is known to carry
    nothing). Read again from the stored file in the limited child process; audited as an export."""
    from fangkong.core.excel import write_xlsx

    from .ledger.sniff import Limits, sniff
    from .ledger.values import cell_text
    from .ledger.worker import read_batches

    reasons: dict[int, list[str]] = {}
    for error in ledger_import.errors:
        column = f"“{error['column']}”" if error["column"] else ""
        reasons.setdefault(int(error["row"]), []).append(f"{column}{error['reason']}")
    header_row = int(ledger_import.preview.get("header_row") or 1) - 1
    path = Path(ledger_import.stored_path)
    limits = Limits.from_settings()
    headers: list[str] = []
    rows: list[list[Any]] = []
    offset = 0
    with read_batches(path, sniff(path, limits), limits, header_rows=10) as grid:
        for batch in grid:
            size = len(batch[0]) if batch else 0
            for i in range(size):
                number = offset + i + 1
                if offset + i == header_row:
                    headers = [cell_text(column[i]) for column in batch]
                elif number in reasons:
                    rows.append([_kept(column[i]) for column in batch] + ["；".join(reasons[number])])
            offset += size
    content, count = write_xlsx([*headers, REASON_HEADER], rows, sheet="未导入的行")
    audit_log(actor=actor, action=Action.EXPORT, obj=ledger_import,
              detail=f"rejected rows of ledger import sha256={ledger_import.sha256} rows={count}")
    return content


def _kept(value: Any) -> Any:
    """A cell for the rejected-rows file: text and booleans as they are, anything else as Excel
    showed it (dates as ISO text; an ID number Excel made a number keeps the digits it kept, the
    problem it is)."""
    from .ledger.values import cell_text

    if value is None or isinstance(value, (str, bool)):
        return value
    return cell_text(value)
