"""ID numbers and phones sealed at rest (fangkong.core.fieldcrypt): each returnee's number and phone
become a sealed value, a keyed digest (the one-person-per-ID-number constraint moves to it) and a
mask; the birth date gives way to the birth year (beside the mask, the date would give the number
back). Existing rows are sealed under the current FANGKONG_FIELD_KEY; going back opens them again.
"""

from django.db import migrations, models

import fangkong.core.fieldcrypt

TABLE = "returnees_returnee"
CHUNK = 5000


def seal(apps, schema_editor):
    from fangkong.core.idcard import id_number_columns, phone_columns

    connection = schema_editor.connection
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT id, id_number, phone FROM {TABLE} WHERE id > %s ORDER BY id LIMIT %s",
                           [last, CHUNK])
            rows = cursor.fetchall()
            if not rows:
                return
            ids, numbers, phones = zip(*rows, strict=True)
            ids_, phones_ = id_number_columns(numbers), phone_columns([p or "" for p in phones])
            cursor.executemany(
                f"UPDATE {TABLE} SET id_cipher = %s, id_digest = %s, id_masked = %s, birth_year = %s,"
                " phone_cipher = %s, phone_digest = %s, phone_masked = %s WHERE id = %s",
                list(zip(ids_["id_cipher"], ids_["id_digest"], ids_["id_masked"], ids_["birth_year"],
                         phones_["phone_cipher"], phones_["phone_digest"], phones_["phone_masked"], ids,
                         strict=True)),
            )
            last = ids[-1]


def unseal(apps, schema_editor):
    import datetime as dt

    from fangkong.core.fieldcrypt import unseal as open_all

    connection = schema_editor.connection
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT id, id_cipher, phone_cipher FROM {TABLE} WHERE id > %s ORDER BY id LIMIT %s",
                           [last, CHUNK])
            rows = cursor.fetchall()
            if not rows:
                break
            ids, numbers, phones = zip(*rows, strict=True)
            numbers, phones = open_all(numbers, "id_number"), open_all(phones, "phone")
            births = [dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14])) for n in numbers]
            cursor.executemany(
                f"UPDATE {TABLE} SET id_number = %s, phone = %s, birth_date = %s WHERE id = %s",
                list(zip(numbers, phones, births, ids, strict=True)),
            )
            last = ids[-1]
        if connection.vendor == "postgresql":  # as 0003 left it
            cursor.execute(f'ALTER TABLE {TABLE} ALTER COLUMN id_number TYPE varchar(18) COLLATE "C"')


def digest_in_c_collation(apps, schema_editor):
    # PostgreSQL: the digest's unique index compares bytes, not the locale's collation (hex digits
    # sort the same in both); every imported row updates it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE {TABLE} ALTER COLUMN id_digest TYPE varchar(64) COLLATE "C"')


class Migration(migrations.Migration):

    dependencies = [
        ("returnees", "0004_attribution_conflict"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="returnee", name="returnee_id_number_unique"),
        # Nullable on their way out, so that going back can add them to rows and then fill them.
        migrations.AlterField(
            model_name="returnee", name="id_number",
            field=models.CharField(max_length=18, null=True, verbose_name="ID number"),
        ),
        migrations.AlterField(
            model_name="returnee", name="birth_date",
            field=models.DateField(editable=False, null=True, verbose_name="birth date"),
        ),
        migrations.AddField(
            model_name="returnee", name="id_cipher",
            field=fangkong.core.fieldcrypt.SealedField(verbose_name="ID number (sealed)", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="returnee", name="id_digest",
            field=fangkong.core.fieldcrypt.DigestField(verbose_name="ID number digest", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="returnee", name="id_masked",
            field=models.CharField(editable=False, max_length=18, verbose_name="ID number (masked)", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="returnee", name="birth_year",
            field=models.PositiveSmallIntegerField(editable=False, verbose_name="birth year", default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="returnee", name="phone_cipher",
            field=fangkong.core.fieldcrypt.SealedField(verbose_name="mobile phone (sealed)", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="returnee", name="phone_digest",
            field=fangkong.core.fieldcrypt.DigestField(verbose_name="mobile phone digest", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="returnee", name="phone_masked",
            field=models.CharField(blank=True, editable=False, max_length=11, verbose_name="mobile phone (masked)",
                                   default=""),
            preserve_default=False,
        ),
        migrations.RunPython(seal, unseal, elidable=False),
        migrations.RemoveField(model_name="returnee", name="id_number"),
        migrations.RemoveField(model_name="returnee", name="phone"),
        migrations.RemoveField(model_name="returnee", name="birth_date"),
        migrations.RunPython(digest_in_c_collation, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="returnee",
            constraint=models.UniqueConstraint(fields=("id_digest",), name="returnee_id_number_unique"),
        ),
    ]
