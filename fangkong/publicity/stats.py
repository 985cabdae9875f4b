"""The ``publicity`` block of ``fangkong stats``: the campaign's figures as of a day."""

import datetime as dt

from .models import MediaPush, ModelDeed, OfficialForward, PledgeSignature, ShareCount
from .selectors import publicity_figures


def publicity_block(day: dt.date) -> dict[str, int]:
    return publicity_figures(signatures=PledgeSignature.objects.all(), shares=ShareCount.objects.all(),
                             forwards=OfficialForward.objects.all(), pushes=MediaPush.objects.all(),
                             deeds=ModelDeed.objects.all(), day=day)
