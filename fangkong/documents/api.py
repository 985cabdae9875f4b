"""The documents API: the register (draft, change, submit, sign off, issue, withdraw), receipts
(sign for, reply), instructions and their follow-up items (answer, close). Every answer is
limited to the caller's scope; the writes go through the same services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from fangkong.core.pagination import PageParams, paginate
from fangkong.orgs.models import Unit

from . import services
from .filtersets import DocumentFilterSet, InstructionFilterSet, ItemFilterSet, RecipientFilterSet
from .models import Document, DocumentKind, DocumentRecipient, Instruction, InstructionItem, IssuingBody

router = Router(tags=["documents"])


class ReportFigureOut(Schema):
    key: str
    label: str
    value: float
    list_url: str
    api_url: str


class DocumentOut(Schema):
    id: int
    number: str | None = Field(description="白岭直党工发〔2020〕1号; null until sign-off.")
    title: str
    display_title: str = Field(description="With the series ordinal, e.g. （一）.")
    kind: str
    status: str = Field(description="draft, review, signed, issued or withdrawn")
    version: int
    text: str
    body_id: int
    issued_on: dt.date | None
    signed_at: dt.datetime | None
    reply_due: dt.date | None
    as_of: dt.datetime | None
    figures: list[ReportFigureOut]

    @staticmethod
    def resolve_kind(obj: Document) -> str:
        return obj.kind.code


class DocumentPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DocumentOut]


class DocumentFilters(Schema):
    q: str | None = Field(None, max_length=50)
    kind: int | None = None
    direction: str | None = None
    status: str | None = None
    issued_on: dt.date | None = Field(None, description="Issued on or before this day.")


class DocumentIn(Schema):
    body_id: int
    kind: str = Field(description="A kind's code, e.g. notice.")
    title: str
    text: str
    main_unit_ids: list[int] = []
    copy_unit_ids: list[int] = []
    addressed_to: str = ""
    urgency: str = ""
    classification: str = ""
    reply_due: dt.date | None = None
    reply_asked: str = ""


class DocumentPatch(Schema):
    title: str | None = None
    text: str | None = None
    addressed_to: str | None = None
    reply_due: dt.date | None = None
    reply_asked: str | None = None
    main_unit_ids: list[int] | None = None
    copy_unit_ids: list[int] | None = None


class ReasonIn(Schema):
    reason: str


class VersionIn(Schema):
    title: str
    text: str
    reason: str


class ReportIn(Schema):
    body_id: int
    kind: str
    title: str
    as_of: dt.datetime = Field(description="The moment the figures are as of; never in the future.")
    addressed_to: str = ""


class DocumentReceiptOut(Schema):
    id: int
    document_id: int
    unit_id: int
    unit_name: str
    role: str
    delivered_at: dt.datetime | None
    signed_at: dt.datetime | None
    reply_late: bool | None = Field(description="Whether the unit's reply came after the due date; null: no reply.")

    @staticmethod
    def resolve_unit_name(obj: DocumentRecipient) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_reply_late(obj: DocumentRecipient) -> bool | None:
        reply = getattr(obj, "reply", None)
        return reply.late if reply is not None else None


class ReceiptPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DocumentReceiptOut]


class ReceiptFilters(Schema):
    document: int | None = None
    signed: bool | None = None
    unsigned_on: dt.date | None = None
    reply_overdue_on: dt.date | None = None


class ReplyIn(Schema):
    text: str


class DocumentItemIn(Schema):
    unit_id: int
    task: str
    due_on: dt.date


class InstructionIn(Schema):
    document_id: int
    leader_name: str
    leader_position: str
    given_on: dt.date
    text: str
    items: list[DocumentItemIn] = []


class DocumentItemOut(Schema):
    id: int
    instruction_id: int
    unit_id: int
    task: str
    due_on: dt.date
    status: str
    answer: str
    closed_at: dt.datetime | None


class InstructionOut(Schema):
    id: int
    document_id: int
    leader_name: str
    leader_position: str
    given_on: dt.date
    text: str
    closed_at: dt.datetime | None


class InstructionPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[InstructionOut]


class InstructionFilters(Schema):
    document: int | None = None
    open_on: dt.date | None = None
    closed: bool | None = None


class ItemPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DocumentItemOut]


class ItemFilters(Schema):
    instruction: int | None = None
    status: str | None = None
    open_on: dt.date | None = None
    overdue_on: dt.date | None = None


class DocumentAnswerIn(Schema):
    answer: str


def _documents(request: HttpRequest) -> Any:
    return Document.objects.visible_to(request.user).select_related("kind")


def _document(request: HttpRequest, document_id: int) -> Document:
    return get_object_or_404(_documents(request), pk=document_id)  # type: ignore[no-any-return]


def _units(ids: list[int]) -> list[Unit]:
    units = list(Unit.objects.filter(pk__in=ids))
    if len(units) != len(set(ids)):
        from django.http import Http404

        raise Http404
    return units


def _data(filters: Schema) -> dict[str, Any]:
    return {k: v for k, v in filters.dict().items() if v is not None}


@router.get("/documents", response=DocumentPage, summary="The document register in your scope")
def list_documents(request: HttpRequest, filters: Query[DocumentFilters], pages: Query[PageParams]) -> dict[str, Any]:
    filterset = DocumentFilterSet(_data(filters), queryset=_documents(request))
    return paginate(filterset.qs if filterset.is_valid() else Document.objects.none(), pages)


@router.post("/documents", response={201: DocumentOut}, summary="Draft a document (no number until sign-off)")
def create_document(request: HttpRequest, payload: DocumentIn) -> Status[Document]:
    body = get_object_or_404(IssuingBody.objects.visible_to(request.user), pk=payload.body_id)
    kind = get_object_or_404(DocumentKind, code=payload.kind)
    document = services.document_draft(
        actor=request.user, body=body, kind=kind, title=payload.title, text=payload.text,  # type: ignore[arg-type]
        main=_units(payload.main_unit_ids), copy=_units(payload.copy_unit_ids), addressed_to=payload.addressed_to,
        urgency=payload.urgency, classification=payload.classification, reply_due=payload.reply_due,
        reply_asked=payload.reply_asked,
    )
    return Status(201, _document(request, document.pk))


@router.get("/documents/{document_id}", response=DocumentOut, summary="One document")
def get_document(request: HttpRequest, document_id: int) -> Document:
    return _document(request, document_id)


@router.patch("/documents/{document_id}", response=DocumentOut, summary="Change a draft (refused after sign-off)")
def patch_document(request: HttpRequest, document_id: int, payload: DocumentPatch) -> Document:
    document = _document(request, document_id)
    fields = {k: v for k, v in payload.dict(exclude_unset=True).items() if k not in ("main_unit_ids", "copy_unit_ids")}
    services.document_update(
        actor=request.user, document=document,  # type: ignore[arg-type]
        main=_units(payload.main_unit_ids) if payload.main_unit_ids is not None else None,
        copy=_units(payload.copy_unit_ids) if payload.copy_unit_ids is not None else None, **fields)
    return _document(request, document_id)


def _step(name: str, summary: str) -> Any:
    def handler(request: HttpRequest, document_id: int) -> Document:
        document = _document(request, document_id)
        getattr(services, name)(actor=request.user, document=document)
        return _document(request, document_id)
    handler.__name__ = f"document_{name}"
    return router.post(f"/documents/{{document_id}}/{name.split('_', 1)[1].replace('_', '-')}",
                       response=DocumentOut, summary=summary)(handler)


_step("document_submit", "Send a draft for sign-off (核稿)")
_step("document_sign_off", "Sign off (签发, a leader): the text freezes and the number is taken")
_step("document_issue", "Issue (印发): the document reaches its recipients' inboxes")


@router.post("/documents/{document_id}/withdraw", response=DocumentOut, summary="Withdraw (作废); the number stays")
def withdraw_document(request: HttpRequest, document_id: int, payload: ReasonIn) -> Document:
    services.document_withdraw(actor=request.user, document=_document(request, document_id),  # type: ignore[arg-type]
                               reason=payload.reason)
    return _document(request, document_id)


@router.post("/documents/{document_id}/versions", response=DocumentOut, summary="A new version after sign-off")
def new_version(request: HttpRequest, document_id: int, payload: VersionIn) -> Document:
    services.document_new_version(actor=request.user, document=_document(request, document_id),  # type: ignore[arg-type]
                                  title=payload.title, text=payload.text, reason=payload.reason)
    return _document(request, document_id)


@router.post("/reports", response={201: DocumentOut}, summary="Draft a formal report from the records as of a moment")
def create_report(request: HttpRequest, payload: ReportIn) -> Status[Document]:
    body = get_object_or_404(IssuingBody.objects.visible_to(request.user), pk=payload.body_id)
    kind = get_object_or_404(DocumentKind, code=payload.kind)
    report = services.report_generate(actor=request.user, body=body, kind=kind, title=payload.title,  # type: ignore[arg-type]
                                      as_of=payload.as_of, addressed_to=payload.addressed_to)
    return Status(201, _document(request, report.pk))


def _receipts(request: HttpRequest) -> Any:
    return DocumentRecipient.objects.visible_to(request.user).select_related("unit", "reply")


@router.get("/receipts", response=ReceiptPage, summary="Receipts (签收) of issued documents in your scope")
def list_receipts(request: HttpRequest, filters: Query[ReceiptFilters], pages: Query[PageParams]) -> dict[str, Any]:
    filterset = RecipientFilterSet(_data(filters), queryset=_receipts(request).filter(delivered_at__isnull=False))
    qs = filterset.qs if filterset.is_valid() else DocumentRecipient.objects.none()
    return paginate(qs.order_by("document_id", "id"), pages)


@router.post("/receipts/{receipt_id}/sign", response=DocumentReceiptOut, summary="Sign for a document (once, by the unit's designated person)")
def sign_receipt(request: HttpRequest, receipt_id: int) -> DocumentRecipient:
    receipt = get_object_or_404(_receipts(request), pk=receipt_id)
    services.sign_for(actor=request.user, recipient=receipt)  # type: ignore[arg-type]
    return _receipts(request).get(pk=receipt_id)  # type: ignore[no-any-return]


@router.post("/receipts/{receipt_id}/reply", response=DocumentReceiptOut, summary="Reply; after the due date it is flagged late")
def reply_receipt(request: HttpRequest, receipt_id: int, payload: ReplyIn) -> DocumentRecipient:
    receipt = get_object_or_404(_receipts(request), pk=receipt_id)
    services.reply_submit(actor=request.user, recipient=receipt, text=payload.text)  # type: ignore[arg-type]
    return _receipts(request).get(pk=receipt_id)  # type: ignore[no-any-return]


@router.get("/instructions", response=InstructionPage, summary="Leaders' instructions in your scope")
def list_instructions(request: HttpRequest, filters: Query[InstructionFilters],
                      pages: Query[PageParams]) -> dict[str, Any]:
    filterset = InstructionFilterSet(_data(filters), queryset=Instruction.objects.visible_to(request.user))
    return paginate(filterset.qs if filterset.is_valid() else Instruction.objects.none(), pages)


@router.post("/instructions", response={201: InstructionOut}, summary="Record an instruction with its follow-up items")
def create_instruction(request: HttpRequest, payload: InstructionIn) -> Status[Instruction]:
    document = _document(request, payload.document_id)
    items = [{"unit": get_object_or_404(Unit, pk=i.unit_id), "task": i.task, "due_on": i.due_on}
             for i in payload.items]
    instruction = services.instruction_record(
        actor=request.user, document=document, leader_name=payload.leader_name,  # type: ignore[arg-type]
        leader_position=payload.leader_position, given_on=payload.given_on, text=payload.text, items=items)
    return Status(201, instruction)


@router.get("/items", response=ItemPage, summary="Follow-up items (批示件办理) in your scope")
def list_items(request: HttpRequest, filters: Query[ItemFilters], pages: Query[PageParams]) -> dict[str, Any]:
    filterset = ItemFilterSet(_data(filters), queryset=InstructionItem.objects.visible_to(request.user))
    return paginate(filterset.qs if filterset.is_valid() else InstructionItem.objects.none(), pages)


@router.post("/items/{item_id}/answer", response=DocumentItemOut, summary="Record the result of an item")
def answer_item(request: HttpRequest, item_id: int, payload: DocumentAnswerIn) -> InstructionItem:
    item = get_object_or_404(InstructionItem.objects.visible_to(request.user), pk=item_id)
    return services.item_answer(actor=request.user, item=item, answer=payload.answer)  # type: ignore[arg-type]


@router.post("/items/{item_id}/close", response=DocumentItemOut, summary="Close an answered item (the office)")
def close_item(request: HttpRequest, item_id: int) -> InstructionItem:
    item = get_object_or_404(InstructionItem.objects.visible_to(request.user), pk=item_id)
    return services.item_close(actor=request.user, item=item)  # type: ignore[arg-type]
