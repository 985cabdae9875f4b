"""The receiving bodies, problem classifications and outcome kinds, as data."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from fangkong.supervision.reference import ensure

    ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
