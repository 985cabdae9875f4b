"""Reads of the publicity line and the campaign: the figures as of a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet, Sum

from .choices import DeedStatus
from .comparison import end_of
from .models import MediaPush, ModelDeed, OfficialForward, PledgeSignature, ShareCount


def publicity_figures(*, signatures: QuerySet[PledgeSignature], shares: QuerySet[ShareCount],
                      forwards: QuerySet[OfficialForward], pushes: QuerySet[MediaPush], deeds: QuerySet[ModelDeed],
                      day: dt.date) -> dict[str, int]:
    end = end_of(day)
    return {
        "pledge_signatures": signatures.filter(signed_at__lt=end).count(),
        "pledge_forwards": shares.filter(day__lte=day).aggregate(n=Sum("count"))["n"] or 0,
        "official_forwards": forwards.filter(day__lte=day).aggregate(n=Sum("count"))["n"] or 0,
        "media_pushes": pushes.filter(pushed_on__lte=day).count(),
        "model_deeds_published": deeds.filter(status=DeedStatus.PUBLISHED, published_at__lt=end).count(),
    }


def pushes_by(pushes: QuerySet[MediaPush], field: str) -> list[dict[str, Any]]:
    """Media pushes counted per unit or per outlet, most first."""
    name = f"{field}__name"
    return list(pushes.values(f"{field}_id", name).annotate(n=Count("id")).order_by("-n", name))
