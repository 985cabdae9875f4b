"""Notifications over the API: the caller's inbox, marking it read, and reminding units."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from fangkong.core.pagination import PageParams, paginate

from . import selectors, services

router = Router(tags=["notifications"])


class NoticeOut(Schema):
    id: int
    subject: str
    body: str
    kind: str
    unit_id: int
    unit_name: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NoticePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[NoticeOut]


class InboxFilters(Schema):
    unread: bool = False


class ReadIn(Schema):
    ids: list[int] | None = Field(None, description="Notices to mark read; all of them when left out.")


class ReadOut(Schema):
    marked: int


class RemindIn(Schema):
    template: int
    day: dt.date
    units: list[int] = Field(..., max_length=5000)


class RemindOut(Schema):
    sent: int


def _notice(delivery: Any) -> dict[str, Any]:
    message = delivery.message
    return {
        "id": delivery.pk, "subject": message.subject, "body": message.body, "kind": message.kind,
        "unit_id": message.unit_id, "unit_name": message.unit.name, "created_at": message.created_at,
        "read_at": delivery.read_at,
    }


@router.get("", response=NoticePage, summary="Your in-app notifications, newest first")
def list_notifications(request: HttpRequest, filters: Query[InboxFilters], pages: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.inbox(request.user)  # type: ignore[arg-type]
    if filters.unread:
        qs = qs.filter(read_at__isnull=True)
    page = paginate(qs, pages)
    page["results"] = [_notice(d) for d in page["results"]]
    return page


@router.post("/read", response=ReadOut, summary="Mark your notifications read")
def mark_read(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    return {"marked": services.inbox_mark_read(user=request.user, delivery_ids=payload.ids)}  # type: ignore[arg-type]


@router.post("/remind", response=RemindOut, summary="Remind units that have not sent a daily report")
def remind(request: HttpRequest, payload: RemindIn) -> dict[str, int]:
    """Every unit must lie in your scope, else nothing is sent (400). A second request within ten
    minutes sends nothing again."""
    from fangkong.reports.reminders import remind_units

    sent = remind_units(actor=request.user, template_id=payload.template, day=payload.day,  # type: ignore[arg-type]
                        unit_ids=payload.units)
    return {"sent": sent}
