"""The units of measure the committee counts in and the exact conversions between them (also
written by migration 0002; the demo, which starts from empty tables, makes them again)."""

from decimal import Decimal

MEASURES = [("斤", True), ("公斤", True), ("克", True), ("升", True), ("毫升", True),
            ("副", False), ("个", False), ("片", False), ("件", False), ("瓶", False), ("箱", False),
            ("包", False), ("双", False)]
CONVERSIONS = [("公斤", "斤", Decimal(2)), ("斤", "克", Decimal(500)), ("公斤", "克", Decimal(1000)),
               ("升", "毫升", Decimal(1000)), ("双", "副", Decimal(1))]


def ensure_measures() -> None:
    from .models import Conversion, Measure

    by_name = {}
    for name, fraction in MEASURES:
        by_name[name], _created = Measure.objects.get_or_create(name=name, defaults={"allows_fraction": fraction})
    for source, target, factor in CONVERSIONS:
        Conversion.objects.get_or_create(source=by_name[source], target=by_name[target], defaults={"factor": factor})
