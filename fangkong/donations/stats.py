"""The ``donations`` block of ``fangkong stats``: the line's figures as of a date."""

import datetime as dt
from typing import Any

from .models import Distribution, Donor, Intake, Need, StockMove
from .selectors import figures


def donations_block(day: dt.date) -> dict[str, Any]:
    return figures(intakes=Intake.objects.all(), distributions=Distribution.objects.all(),
                   moves=StockMove.objects.all(), needs=Need.objects.all(), donors=Donor.objects.all(), day=day)
