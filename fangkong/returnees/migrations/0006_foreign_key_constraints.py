"""Referential integrity is the database's again: the foreign keys a ledger import writes get their
constraints back. On PostgreSQL Django declares them DEFERRABLE INITIALLY DEFERRED, so an import
still writes its tables by COPY, in any order, inside one transaction: every reference is checked
at commit, and a reference to a row that is gone fails the whole import."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0002_initial"),
        ("returnees", "0005_encrypted_identity"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="returnee", name="unit",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="returnees", to="orgs.unit", verbose_name="employer unit"),
        ),
        migrations.AlterField(
            model_name="returnee", name="community",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="resident_returnees", to="orgs.unit",
                                    verbose_name="residential community"),
        ),
        migrations.AlterField(
            model_name="returnee", name="coordinating_body",
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.unit",
                                    verbose_name="coordinating body"),
        ),
        migrations.AlterField(
            model_name="registration", name="returnee",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="registrations", to="returnees.returnee"),
        ),
        migrations.AlterField(
            model_name="registration", name="unit",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="registrations", to="orgs.unit", verbose_name="registering unit"),
        ),
        migrations.AlterField(
            model_name="registration", name="stated_employer",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="orgs.unit", verbose_name="employer named"),
        ),
        migrations.AlterField(
            model_name="registration", name="registered_by",
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                    to=settings.AUTH_USER_MODEL, verbose_name="registered by"),
        ),
        migrations.AlterField(
            model_name="registration", name="source_import",
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL, related_name="registrations",
                                    to="returnees.ledgerimport"),
        ),
        migrations.AlterField(
            model_name="isolationorder", name="returnee",
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="isolation",
                                       to="returnees.returnee"),
        ),
    ]
