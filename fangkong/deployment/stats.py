"""The ``deployment`` block of ``fangkong stats``."""

import datetime as dt
from typing import Any

from .models import Secondment
from .selectors import deployment_figures

KEYS = ("cadres_seconded", "departments_sending", "streets", "communities", "checkpoints", "unplaced")


def deployment_block(day: dt.date) -> dict[str, Any]:
    figures = deployment_figures(Secondment.objects.all(), day)
    return {key: figures[key] for key in KEYS}
