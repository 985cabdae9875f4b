"""ID numbers and phones sealed at rest (fangkong.core.fieldcrypt): each person's number and phone
become a sealed value, a keyed digest (one person per ID number is now the digest's constraint; a
full phone is found by its digest) and a mask; the birth date gives way to the birth year (beside
the mask, the date would give the number back). Existing rows are sealed under the current
FANGKONG_FIELD_KEY; going back opens them again.
"""

from django.db import migrations, models

import fangkong.core.fieldcrypt

TABLE = "people_person"
CHUNK = 5000


def seal(apps, schema_editor):
    from fangkong.core.idcard import id_number_columns, phone_columns

    last = 0
    with schema_editor.connection.cursor() as cursor:
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

    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT id, id_cipher, phone_cipher FROM {TABLE} WHERE id > %s ORDER BY id LIMIT %s",
                           [last, CHUNK])
            rows = cursor.fetchall()
            if not rows:
                return
            ids, numbers, phones = zip(*rows, strict=True)
            numbers, phones = open_all(numbers, "id_number"), open_all(phones, "phone")
            births = [dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14])) for n in numbers]
            cursor.executemany(
                f"UPDATE {TABLE} SET id_number = %s, phone = %s, birth_date = %s WHERE id = %s",
                list(zip(numbers, phones, births, ids, strict=True)),
            )
            last = ids[-1]


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_person_order"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person", name="id_number",
            # Nullable on its way out, so that going back can add it to rows and then fill it.
            field=models.CharField(max_length=18, null=True, verbose_name="ID number"),
        ),
        migrations.AlterField(
            model_name="person", name="phone",
            field=models.CharField(blank=True, max_length=11, verbose_name="mobile phone"),
        ),
        migrations.AlterField(
            model_name="person", name="birth_date",
            field=models.DateField(editable=False, null=True, verbose_name="birth date"),
        ),
        migrations.AddField(
            model_name="person", name="id_cipher",
            field=fangkong.core.fieldcrypt.SealedField(verbose_name="ID number (sealed)", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="person", name="id_digest",
            field=fangkong.core.fieldcrypt.DigestField(verbose_name="ID number digest", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="person", name="id_masked",
            field=models.CharField(editable=False, max_length=18, verbose_name="ID number (masked)", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="person", name="birth_year",
            field=models.PositiveSmallIntegerField(editable=False, verbose_name="birth year", default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="person", name="phone_cipher",
            field=fangkong.core.fieldcrypt.SealedField(verbose_name="mobile phone (sealed)", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="person", name="phone_digest",
            field=fangkong.core.fieldcrypt.DigestField(verbose_name="mobile phone digest", default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="person", name="phone_masked",
            field=models.CharField(blank=True, editable=False, max_length=11, verbose_name="mobile phone (masked)",
                                   default=""),
            preserve_default=False,
        ),
        migrations.RunPython(seal, unseal, elidable=False),
        migrations.RemoveField(model_name="person", name="id_number"),
        migrations.RemoveField(model_name="person", name="phone"),
        migrations.RemoveField(model_name="person", name="birth_date"),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(fields=("id_digest",), name="person_id_number_unique"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["phone_digest"], name="person_phone_digest"),
        ),
    ]
