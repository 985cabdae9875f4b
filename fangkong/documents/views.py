"""Pages of reports and instructions (报告与批示): the register, a document with its life and
receipts, the inbox of a unit, report generation, kinds and their templates, instructions and
their follow-up items, and the .docx/PDF downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.views import ScopedListView, ScopedMixin

from . import rendering, services
from .choices import ItemStatus, RecipientRole, Status
from .filtersets import DocumentFilterSet, InstructionFilterSet, ItemFilterSet, RecipientFilterSet
from .forms import (
    AnswerForm,
    DraftForm,
    EditForm,
    InstructionForm,
    ItemForm,
    KindForm,
    ReplyForm,
    ReportForm,
    VersionForm,
    WithdrawForm,
)
from .models import Attachment, Document, DocumentKind, DocumentRecipient, Instruction, InstructionItem, Reply


def _apply(request: HttpRequest, form: Any, write: Callable[[], Any], done: str) -> Any:
    """Run a service write for a valid form: its result, or None with the refusal on the form."""
    if form is not None and not form.is_valid():
        return None
    try:
        result = write()
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
        elif hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    except PermissionDenied as exc:
        if form is None:
            messages.error(request, str(exc) or _("Your role may not do this."))
        else:
            form.add_error(None, str(exc) or _("Your role may not do this."))
    else:
        messages.success(request, done)
        return result if result is not None else True
    return None


class DocumentListView(ScopedListView):
    """公文登记: what the user's units issued, and what was issued to them."""

    model = Document
    template_name = "documents/document_list.html"
    partial_template = "documents/_document_table.html"
    filterset_class = DocumentFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("kind", "body")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = user_has_perm(self.request.user, "documents.change")
        return context


class DocumentCreateView(ScopedMixin, TemplateView):
    model = Document
    required_perm = "documents.change"
    template_name = "documents/document_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or DraftForm(user=self.request.user)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DraftForm(request.POST, request.FILES, user=request.user)

        def write() -> Document:
            data = dict(form.cleaned_data)
            upload = data.pop("attachment", None)
            with transaction.atomic():
                document = services.document_draft(actor=request.user, **data)  # type: ignore[arg-type]
                if upload:
                    services.attachment_add(actor=request.user, document=document, upload=upload)  # type: ignore[arg-type]
            return document

        document = _apply(request, form, write, _("The draft is saved."))
        if document is not None:
            return redirect(document)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _figure_link(user: Any, figure: dict[str, Any]) -> str:
    """A figure's list, when the user may open it: the page's own check, and the permission of
    the dispatch line the figure belongs to (its unit lists answer only that line's readers)."""
    from fangkong.command.registry import LINES
    from fangkong.core.links import may_open

    line = LINES.get(str(figure.get("key", "")).split(".", 1)[0])
    if line is None or (line.perm and not user_has_perm(user, line.perm)):
        return ""
    url = str(figure.get("list_url") or "")
    return url if url and may_open(user, url) else ""


class DocumentDetailView(ScopedMixin, TemplateView):
    """One document: its text, life, receipts and replies, figures and instructions; the forms of
    the steps the user may take next."""

    model = Document
    template_name = "documents/document_detail.html"

    def get_object(self) -> Document:
        return get_object_or_404(self.get_queryset().select_related("kind", "body", "signed_by"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        doc = self.get_object()
        user = self.request.user
        sender = user_has_perm(user, "documents.change") and Document.objects.editable_by(user).filter(
            pk=doc.pk).exists()
        recipients = list(doc.recipients.select_related("unit", "signed_by").order_by("role", "unit__code"))
        replies = {r.recipient_id: r for r in Reply.objects.filter(recipient__document=doc)}
        scope_unit_ids(user)  # type: ignore[arg-type]  # read once: may_sign_for asks it per recipient
        mine = [r for r in recipients if services.may_sign_for(user, r)] if doc.status == Status.ISSUED else []  # type: ignore[arg-type]
        for r in recipients:
            r.reply_row = replies.get(r.pk)  # type: ignore[attr-defined]
        changes = services.figure_changes(doc) if doc.figures else []
        for figure in [*changes, *doc.figures]:
            figure["link"] = _figure_link(user, figure)
            figure["text"] = services.figure_text(figure["value"])
        visible = set(DocumentRecipient.objects.visible_to(user).filter(document=doc).values_list("pk", flat=True))
        context.update(
            object=doc, sender=sender, mine=mine,
            recipients=[r for r in recipients if sender or r.pk in visible],
            signed=sum(1 for r in recipients if r.signed_at), total=len(recipients),
            versions=list(doc.versions.all()),
            attachments=list(doc.attachments.all()),
            instructions=list(Instruction.objects.visible_to(user).filter(document=doc).prefetch_related("items")),
            changes=changes, figures=doc.figures,
            can_sign_off=doc.status in (Status.DRAFT, Status.REVIEW) and user_has_perm(user, "documents.signoff"),
            can_instruct=doc.status in (Status.SIGNED, Status.ISSUED) and user_has_perm(user, "documents.instruct"),
            can_export=user_has_perm(user, "documents.export"),
            edit_form=kwargs.get("edit_form") or EditForm(initial={"title": doc.title, "text": doc.text}),
            version_form=kwargs.get("version_form") or VersionForm(initial={"title": doc.title, "text": doc.text}),
            withdraw_form=kwargs.get("withdraw_form") or WithdrawForm(),
            reply_form=kwargs.get("reply_form") or ReplyForm(),
            instruction_form=kwargs.get("instruction_form") or InstructionForm(initial={"given_on": clock.today()}),
            today=clock.today(),
        )
        return context


class DocumentActionView(DocumentDetailView):
    """The steps of a document's life, one POST each; refusals are shown on the page."""

    FORMS: dict[str, Any] = {"edit": EditForm, "version": VersionForm, "withdraw": WithdrawForm,
                             "reply": ReplyForm, "instruction": InstructionForm}

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        doc = self.get_object()
        actor: Any = request.user
        form_class = self.FORMS.get(action)
        form: Any = form_class(request.POST, request.FILES) if form_class is InstructionForm else (
            form_class(request.POST) if form_class else None)
        data = lambda: form.cleaned_data  # noqa: E731
        steps: dict[str, tuple[Callable[[], Any], str]] = {
            "edit": (lambda: services.document_update(actor=actor, document=doc, **data()), _("Saved.")),
            "submit": (lambda: services.document_submit(actor=actor, document=doc), _("Sent for sign-off.")),
            "sign-off": (lambda: services.document_sign_off(actor=actor, document=doc), _("Signed off.")),
            "issue": (lambda: services.document_issue(actor=actor, document=doc), _("Issued to its recipients.")),
            "remind": (lambda: services.remind_unsigned(actor=actor, document=doc), _("Reminders sent.")),
            "version": (lambda: services.document_new_version(actor=actor, document=doc, **data()),
                        _("A new version is in review.")),
            "withdraw": (lambda: services.document_withdraw(actor=actor, document=doc, **data()),
                         _("The document is withdrawn; it keeps its number.")),
            "sign-for": (lambda: services.sign_for(actor=actor, recipient=self._recipient(doc)), _("Signed for.")),
            "reply": (lambda: services.reply_submit(actor=actor, recipient=self._recipient(doc), **data()),
                      _("The reply is sent.")),
            "instruction": (lambda: services.instruction_record(
                actor=actor, document=doc, items=form.items(), image=form.cleaned_data.get("image"),
                **{k: form.cleaned_data[k] for k in ("leader_name", "leader_position", "given_on", "text")}),
                _("The instruction is recorded.")),
        }
        if action not in steps:
            raise Http404
        write, done = steps[action]
        result = _apply(request, form, write, done)
        if result is not None:
            if isinstance(result, Instruction):
                return redirect(result)
            return redirect(doc)
        if form is None:
            return redirect(doc)
        # A refusal of the step itself (not of a field) also goes on top of the page: the step's
        # form may not be shown in the document's state.
        for error in form.non_field_errors():
            messages.error(request, error)
        return self.render_to_response(self.get_context_data(**{f"{action}_form": form}), status=400)

    def _recipient(self, doc: Document) -> DocumentRecipient:
        unit = self.request.POST.get("unit")
        qs = DocumentRecipient.objects.visible_to(self.request.user).filter(document=doc)
        return get_object_or_404(qs, unit_id=unit) if unit and unit.isdigit() else get_object_or_404(qs.none())


class DocumentFileView(ScopedMixin, View):
    """The document as .docx or PDF in the official layout; each download is audited."""

    model = Document
    required_perm = "documents.export"

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        if fmt not in ("docx", "pdf"):
            raise Http404
        doc = get_object_or_404(Document.objects.visible_to(request.user).select_related("kind", "body"), pk=pk)
        content = rendering.render(doc, fmt)
        audit_log(actor=request.user, action=Action.EXPORT, object_type="documents.document_file",  # type: ignore[arg-type]
                  object_repr=str(doc), detail=f"format={fmt}")
        types = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
        response = HttpResponse(content, content_type=types[fmt])
        response["Content-Disposition"] = content_disposition_header(
            fmt == "docx", rendering.file_name(doc, fmt)) or "attachment"
        return response


class AttachmentView(ScopedMixin, View):
    """An attachment of a document the user may see."""

    model = Document

    def get(self, request: HttpRequest, pk: int, attachment: int) -> FileResponse:
        doc = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
        found = get_object_or_404(Attachment.objects.filter(document=doc).exclude(file=""), pk=attachment)
        return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


class InstructionImageView(ScopedMixin, View):
    """The scanned instruction of an instruction the user may see."""

    model = Instruction

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        found = get_object_or_404(Instruction.objects.visible_to(request.user).exclude(image=""), pk=pk)
        return FileResponse(found.image.open("rb"), as_attachment=True,
                            filename=found.image.name.rsplit("/", 1)[-1])


class InboxView(ScopedListView):
    """收文: documents issued to the user's units, signed for or not (the sender's receipts too)."""

    model = DocumentRecipient
    template_name = "documents/inbox.html"
    partial_template = "documents/_inbox_table.html"
    filterset_class = RecipientFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(delivered_at__isnull=False).select_related(
            "document", "document__kind", "unit", "reply").order_by("signed_at", "-delivered_at", "id")


class ReportCreateView(ScopedMixin, TemplateView):
    """A formal report drafted from the records as of a stated moment."""

    model = Document
    required_perm = "documents.change"
    template_name = "documents/report_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or ReportForm(user=self.request.user)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReportForm(request.POST, user=request.user)
        document = _apply(request, form, lambda: services.report_generate(
            actor=request.user, **form.cleaned_data), _("The report is drafted from the records."))  # type: ignore[arg-type]
        if document is not None:
            return redirect(document)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class KindListView(ScopedMixin, TemplateView):
    model = Document
    required_perm = "documents.change"
    template_name = "documents/kind_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["kinds"] = DocumentKind.objects.all()
        return context


class KindEditView(ScopedMixin, TemplateView):
    """A kind and its report template: the template is checked when it is saved."""

    model = Document
    required_perm = "documents.change"
    template_name = "documents/kind_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kind = get_object_or_404(DocumentKind, pk=self.kwargs["pk"]) if self.kwargs.get("pk") else None
        context.update(kind=kind, form=kwargs.get("form") or KindForm(instance=kind),
                       figures=sorted(services.figure_catalogue().items()))
        return context

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        kind = get_object_or_404(DocumentKind, pk=pk) if pk else None
        form = KindForm(request.POST, instance=kind)
        saved = _apply(request, form, lambda: services.kind_save(actor=request.user, kind=form.save(commit=False)),  # type: ignore[arg-type]
                       _("The kind is saved."))
        if saved is not None:
            return redirect("documents:kind_list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class InstructionListView(ScopedListView):
    model = Instruction
    template_name = "documents/instruction_list.html"
    partial_template = "documents/_instruction_table.html"
    filterset_class = InstructionFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("document")


class InstructionDetailView(ScopedMixin, TemplateView):
    model = Instruction
    template_name = "documents/instruction_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = get_object_or_404(self.get_queryset().select_related("document"), pk=self.kwargs["pk"])
        user = self.request.user
        items = list(InstructionItem.objects.visible_to(user).filter(instruction=obj).select_related("unit", "person"))
        today = clock.today()
        for item in items:
            item.light_now = item.light(today)  # type: ignore[attr-defined]
        context.update(
            object=obj, items=items, today=today,
            can_close=user_has_perm(user, "documents.change"),
            can_answer=user_has_perm(user, "documents.receive") or user_has_perm(user, "documents.instruct"),
            can_add=obj.closed_at is None and user_has_perm(user, "documents.instruct"),
            item_form=kwargs.get("item_form") or ItemForm(), answer_form=AnswerForm(),
            errors=kwargs.get("errors", []),
        )
        return context


class InstructionActionView(InstructionDetailView):
    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        instruction = get_object_or_404(self.get_queryset(), pk=pk)
        actor: Any = request.user
        if action == "item":
            form = ItemForm(request.POST)
            if _apply(request, form, lambda: services.item_add(actor=actor, instruction=instruction,
                                                               **form.cleaned_data), _("The item is added.")):
                return redirect(instruction)
            return self.render_to_response(self.get_context_data(item_form=form), status=400)
        item = get_object_or_404(InstructionItem.objects.visible_to(actor).filter(instruction=instruction),
                                 pk=request.POST.get("item") or 0)
        if action == "answer":
            answer = AnswerForm(request.POST)
            if _apply(request, answer, lambda: services.item_answer(actor=actor, item=item, **answer.cleaned_data),
                      _("The result is recorded.")):
                return redirect(instruction)
            return self.render_to_response(self.get_context_data(errors=answer.errors.get("answer", [])
                                                                 or answer.non_field_errors()), status=400)
        if action == "close":
            _apply(request, None, lambda: services.item_close(actor=actor, item=item), _("The item is closed."))
            return redirect(instruction)
        raise Http404


class ItemListView(ScopedListView):
    """批示件办理: the follow-up items, with their lights."""

    model = InstructionItem
    template_name = "documents/item_list.html"
    partial_template = "documents/_item_table.html"
    filterset_class = ItemFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "instruction")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = clock.today()
        for item in context["object_list"]:
            item.light_now = item.light(today)
        context["today"] = today
        return context


__all__ = ["ItemStatus", "RecipientRole"]
