"""The units of measure the committee counts in, and the exact conversions between them."""

from decimal import Decimal

from django.db import migrations

MEASURES = [("斤", True), ("公斤", True), ("克", True), ("升", True), ("毫升", True),
            ("副", False), ("个", False), ("片", False), ("件", False), ("瓶", False), ("箱", False),
            ("包", False), ("双", False)]
CONVERSIONS = [("公斤", "斤", Decimal(2)), ("斤", "克", Decimal(500)), ("公斤", "克", Decimal(1000)),
               ("升", "毫升", Decimal(1000)), ("双", "副", Decimal(1))]


def add(apps, schema_editor):
    Measure = apps.get_model("donations", "Measure")
    Conversion = apps.get_model("donations", "Conversion")
    by_name = {}
    for name, fraction in MEASURES:
        by_name[name], _created = Measure.objects.get_or_create(name=name, defaults={"allows_fraction": fraction})
    for source, target, factor in CONVERSIONS:
        Conversion.objects.get_or_create(source=by_name[source], target=by_name[target], defaults={"factor": factor})


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
