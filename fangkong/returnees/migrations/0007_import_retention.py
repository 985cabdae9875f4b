"""Ledger imports keep their stored file's size (counted against the uploader's quota while the
import is not committed) and when that file was deleted after the retention period. Imports made
before this get the size of their file as it is on disk (0 when it is gone)."""

import os

from django.db import migrations, models


def sizes_from_disk(apps, schema_editor):
    LedgerImport = apps.get_model("returnees", "LedgerImport")
    for pk, path in LedgerImport.objects.exclude(stored_path="").values_list("pk", "stored_path").iterator():
        try:
            size = os.stat(path).st_size
        except OSError:
            continue
        LedgerImport.objects.filter(pk=pk).update(file_size=size)


class Migration(migrations.Migration):
    dependencies = [
        ("returnees", "0006_foreign_key_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerimport",
            name="file_size",
            field=models.BigIntegerField(default=0, verbose_name="file size"),
        ),
        migrations.AddField(
            model_name="ledgerimport",
            name="purged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="file deleted at"),
        ),
        migrations.RunPython(sizes_from_disk, migrations.RunPython.noop, elidable=True),
    ]
