"""The ledger's stored uploads: where they are kept, the per-user quota, and their deletion after
the retention period.

A ledger upload is stored under its SHA-256 (so two imports of the same file share one copy) and
read again by preview and commit. A committed import keeps its file: it is the source of the
records it wrote, named by its SHA-256 in the audit log. An upload that was not committed
(rejected, unusable, a preview left, or stuck in the queue) counts against its uploader's quota
and is deleted FANGKONG_REJECTED_UPLOAD_DAYS after it was uploaded; its LedgerImport row stays,
with `purged_at` set and its problems without the cell values copied from the file. Deleting a shared copy and storing a new upload of the same file lock the
imports that hold it, so neither loses the other's file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.core.retention import retention_days

from .choices import ImportStatus
from .models import LedgerImport

if TYPE_CHECKING:
    from fangkong.accounts.models import User

MB = 1024 * 1024


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "ledgers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def quota_bytes() -> int:
    return int(getattr(settings, "FANGKONG_UPLOAD_QUOTA_MB", 500)) * MB


def _human(n: int) -> str:
    from .ledger.sniff import human_size

    return human_size(n)


def held_uploads(user: User) -> dict[str, int]:
    """Stored path -> size of each file the user's imports that are not committed still hold."""
    rows = (
        LedgerImport.objects.filter(uploaded_by=user, purged_at=None)
        .exclude(status=ImportStatus.COMMITTED)
        .exclude(stored_path="")
        .values_list("stored_path", "file_size")
    )
    return dict(rows)


def quota_refusal(*, user: User, stored_path: str, size: int) -> str:
    """Why an upload of ``size`` bytes to ``stored_path`` would pass the user's quota ('' when it fits)."""
    held = held_uploads(user)
    used = sum(held.values())
    if stored_path in held or used + size <= quota_bytes():
        return ""
    return _(
        "Your uploads that were not committed take %(used)s (the limit is %(limit)s): this file "
        "(%(size)s) does not fit and was not stored. Uploads that are not committed are deleted "
        "%(days)d days after they were uploaded."
    ) % {"used": _human(used), "limit": _human(quota_bytes()), "size": _human(size), "days": retention_days()}


def store_upload(*, record: LedgerImport, source: Path) -> LedgerImport:
    """Save ``record`` (its stored_path and file_size set) and keep a copy of ``source`` there, unless
    the upload passes the uploader's quota: then the record is saved rejected, with the reason,
    and nothing is stored."""
    path = record.stored_path
    with transaction.atomic():
        # The imports holding this file already: a purge deleting it waits for this transaction,
        # or has deleted it already and the file is copied again below.
        list(LedgerImport.objects.select_for_update().filter(stored_path=path).values_list("pk", flat=True))
        refusal = quota_refusal(user=record.uploaded_by, stored_path=path, size=record.file_size)
        if refusal:
            record.stored_path = ""
            record.status, record.message, record.progress = ImportStatus.REJECTED, refusal[:300], 100
            record.save()
            return record
        record.save()
        target = Path(path)
        if not target.exists():
            # Copied under a temporary name and renamed: a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            os.close(fd)
            try:
                shutil.copyfile(source, tmp)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    return record


def purge_ledger_uploads(*, now: dt.datetime, cutoff: dt.datetime) -> int:
    """Delete the stored files of the imports not committed and uploaded before ``cutoff``; a file
    another import still needs (committed, or younger) stays. Returns how many imports were purged."""
    expired = (
        LedgerImport.objects.filter(purged_at=None, uploaded_at__lt=cutoff)
        .exclude(status=ImportStatus.COMMITTED)
        .exclude(stored_path="")
    )
    folder = upload_dir().resolve()
    purged = 0
    for path in sorted(set(expired.values_list("stored_path", flat=True))):
        with transaction.atomic():
            holders = list(
                LedgerImport.objects.select_for_update()
                .filter(stored_path=path, purged_at=None)
                .values_list("pk", "status", "uploaded_at")
            )
            group = [pk for pk, status, at in holders if status != ImportStatus.COMMITTED and at < cutoff]
            if not group:
                continue
            # The problem list goes with the file: row, column and reason stay (what the page and the
            # audit need), the cell values copied from the file do not.
            for li in LedgerImport.objects.filter(pk__in=group).only("pk", "errors"):
                errors = [{**e, "value": ""} for e in li.errors] if isinstance(li.errors, list) else []
                LedgerImport.objects.filter(pk=li.pk).update(purged_at=now, errors=errors)
            purged += len(group)
            if len(group) < len(holders):
                continue  # a committed or younger import shares the file
            target = Path(path).resolve()
            if target.parent == folder:  # only ever a file of the upload folder
                target.unlink(missing_ok=True)
    return purged
