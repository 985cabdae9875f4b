"""The ``supervision`` block of ``fangkong stats``."""

import datetime as dt
from typing import Any

from fangkong.core.actors import SYSTEM

from .models import Coverage, Feedback, Investigation, Problem, Referral
from .selectors import figures


def supervision_block(day: dt.date) -> dict[str, Any]:
    return figures(coverage=Coverage.objects.visible_to(SYSTEM), feedback=Feedback.objects.visible_to(SYSTEM),
                   problems=Problem.objects.visible_to(SYSTEM), cases=Investigation.objects.visible_to(SYSTEM),
                   referrals=Referral.objects.visible_to(SYSTEM), day=day)
