"""Writing documents: drafting, review, sign-off (with its number), issue, distribution and
receipt, replies, withdrawal, formal reports from the records, instructions and their items.
Pages, the API, the commands and the demo all come through here.

A number is taken at sign-off, never at draft, from the ``NumberCounter`` row of the issuing
body, kind and year, locked with ``SELECT … FOR UPDATE`` inside the sign-off's transaction: two
sign-offs racing for the next number wait for each other, so numbers are unique and gapless.
SQLite has no row locks; there every transaction begins IMMEDIATE (``config.settings``), taking
the database's write lock at its start, which serialises sign-offs the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core import clock
from fangkong.core.actors import SYSTEM, is_system, user_of
from fangkong.core.scoping import scope_unit_ids, unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from .choices import Classification, ItemStatus, RecipientRole, Status, Urgency
from .models import (
    Attachment,
    Document,
    DocumentKind,
    DocumentRecipient,
    DocumentVersion,
    Instruction,
    InstructionItem,
    IssuingBody,
    NumberCounter,
    Reply,
    format_number,
)

if TYPE_CHECKING:
    from fangkong.core.actors import Actor


def _require(actor: Actor, perm: str) -> None:
    # No actor holds no permission: system work passes ``core.actors.SYSTEM``.
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _scope(actor: Actor, unit_id: int | None) -> None:
    if not unit_in_scope(actor, unit_id):
        raise PermissionDenied(_("This is outside your scope."))


def _text(value: str, max_length: int | None = None) -> str:
    if max_length:
        return clean_text(value or "", max_length=max_length)
    return clean_text(value or "", max_length=20000, multiline=True)


# -- kinds and report templates -----------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
FIGURE_KEY = re.compile(r"^[a-z_]+\.[a-z_]+$")


def figure_catalogue() -> dict[str, str]:
    """Every figure a report template may name: ``line.figure`` → label, read from the command
    picture's registered lines (a panel's keys do not depend on the records)."""
    from fangkong.command.registry import AsOf, lines
    from fangkong.command.selectors import compute

    at = clock.now()
    out: dict[str, str] = {}
    for line in lines():
        if not line.enabled:
            continue
        for figure in compute(line, AsOf(SYSTEM, at)).figures:
            out[f"{line.key}.{figure.key}"] = str(figure.label)
    return out


def template_check(template: str) -> list[str]:
    """The placeholders of a template; refuses one that names no figure."""
    keys = [m.strip() for m in PLACEHOLDER.findall(template)]
    if "{" in PLACEHOLDER.sub("", template) or "}" in PLACEHOLDER.sub("", template):
        raise ValidationError({"template": [_("A brace is not closed.")]})
    known = figure_catalogue() if keys else {}
    unknown = [k for k in keys if not FIGURE_KEY.match(k) or k not in known]
    if unknown:
        raise ValidationError({"template": [
            _("These placeholders name no figure: %(keys)s.") % {"keys": "、".join("{" + k + "}" for k in unknown)}]})
    return keys


@transaction.atomic
def kind_save(*, actor: Actor, kind: DocumentKind) -> DocumentKind:
    """Create or change a kind; a report template is checked here, not when a report is made."""
    _require(actor, "documents.change")
    before = snapshot(DocumentKind.objects.get(pk=kind.pk)) if kind.pk else None
    kind.name = _text(kind.name, 30)
    kind.template = (kind.template or "").strip()
    if kind.template:
        template_check(kind.template)
    kind.full_clean()
    kind.save()
    audit_change(actor=actor, obj=kind, before=before)
    return kind


# -- drafting and review --------------------------------------------------------------------------

# Attachments and scanned instructions: documents and images only, at most 10 MB each.
UPLOAD_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".ofd")
UPLOAD_MAX = 10 * 1024 * 1024


def check_upload(upload: Any, field: str) -> None:
    name = str(getattr(upload, "name", "") or "")
    if not name.lower().endswith(UPLOAD_TYPES):
        raise ValidationError({field: [_("Upload a PDF, an image, a Word or an Excel file.")]})
    if (getattr(upload, "size", 0) or 0) > UPLOAD_MAX:
        raise ValidationError({field: [_("The file is larger than 10 MB.")]})


@transaction.atomic
def attachment_add(*, actor: Actor, document: Document, upload: Any, name: str = "") -> Attachment:
    """附件: added while the document is a draft or in review (the signed text includes them)."""
    locked = _editable(actor, document)
    check_upload(upload, "attachment")
    attachment = Attachment(document=locked, name=_text(name or str(upload.name), 200), file=upload)
    attachment.save()
    audit_change(actor=actor, obj=attachment, before=None)
    return attachment


def _units(units: Iterable[Unit]) -> list[Unit]:
    return list(dict.fromkeys(units))


def _set_recipients(document: Document, main: Sequence[Unit], copy: Sequence[Unit]) -> None:
    DocumentRecipient.objects.filter(document=document).delete()
    rows = [DocumentRecipient(document=document, unit=u, role=RecipientRole.MAIN) for u in _units(main)]
    taken = {u.pk for u in main}
    rows += [DocumentRecipient(document=document, unit=u, role=RecipientRole.COPY) for u in _units(copy)
             if u.pk not in taken]
    DocumentRecipient.objects.bulk_create(rows)


def _editable(actor: Actor, document: Document) -> Document:
    _require(actor, "documents.change")
    locked = Document.objects.select_for_update().get(pk=document.pk)
    _scope(actor, locked.unit_id)
    if locked.frozen:
        raise ValidationError(_("The text is frozen after sign-off; make a new version with its reason."))
    return locked


@transaction.atomic
def document_draft(
    *, actor: Actor, body: IssuingBody, kind: DocumentKind, title: str, text: str,
    main: Sequence[Unit] = (), copy: Sequence[Unit] = (), addressed_to: str = "", urgency: str = "",
    classification: str = "", series_title: str = "", reply_due: dt.date | None = None, reply_asked: str = "",
) -> Document:
    """拟稿: a new draft. It has no number until it is signed off."""
    _require(actor, "documents.change")
    _scope(actor, body.unit_id)
    document = Document(
        body=body, unit_id=body.unit_id, kind=kind, title=_text(title, 200), text=_text(text),
        addressed_to=_text(addressed_to, 300), urgency=urgency or Urgency.NORMAL,
        classification=classification or Classification.NONE, series_title=_text(series_title, 200),
        reply_due=reply_due, reply_asked=_text(reply_asked, 200), drafted_by=user_of(actor), drafted_at=clock.now(),
    )
    if kind.series and not document.series_title:
        document.series_title = document.title
    document.full_clean(exclude=["number", "figures"])
    document.save()
    _set_recipients(document, main, copy)
    audit_change(actor=actor, obj=document, before=None)
    return document


@transaction.atomic
def document_update(
    *, actor: Actor, document: Document, main: Sequence[Unit] | None = None, copy: Sequence[Unit] | None = None,
    **fields: Any,
) -> Document:
    """Change a draft or a document in review (never one signed off)."""
    locked = _editable(actor, document)
    before = snapshot(locked)
    allowed = {"title", "text", "addressed_to", "urgency", "classification", "series_title", "reply_due",
               "reply_asked"}
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError(_("%(field)s cannot be changed here.") % {"field": name})
        setattr(locked, name, _text(value) if isinstance(value, str) else value)
    locked.full_clean(exclude=["number", "figures"])
    locked.save()
    if main is not None or copy is not None:
        current = list(locked.recipients.select_related("unit"))
        _set_recipients(
            locked,
            main if main is not None else [r.unit for r in current if r.role == RecipientRole.MAIN],
            copy if copy is not None else [r.unit for r in current if r.role == RecipientRole.COPY],
        )
    audit_change(actor=actor, obj=locked, before=before)
    return locked


@transaction.atomic
def document_submit(*, actor: Actor, document: Document) -> Document:
    """核稿: the office checks the draft and hands it to a leader for sign-off."""
    locked = _editable(actor, document)
    if locked.status != Status.DRAFT:
        raise ValidationError(_("Only a draft goes to review."))
    before = snapshot(locked)
    locked.status = Status.REVIEW
    locked.reviewed_by = user_of(actor)
    locked.reviewed_at = clock.now()
    locked.save()
    audit_change(actor=actor, obj=locked, before=before)
    return locked


def _next_number(document: Document) -> tuple[int, int, int | None]:
    """The next sequence of the body, kind and year (and the series ordinal), under the counter's
    row lock held to the end of the sign-off's transaction."""
    year = document.signed_at.year if document.signed_at else clock.today().year
    counter, _created = _counter(document.body_id, document.kind.number_word, year)
    locked = NumberCounter.objects.select_for_update().get(pk=counter.pk)
    locked.last += 1
    locked.save(update_fields=["last"])
    sequence = locked.last
    ordinal = None
    if document.kind.series:
        ordinal = 1 + (Document.objects.filter(body_id=document.body_id, series_title=document.series_title,
                                               series_ordinal__isnull=False).exclude(pk=document.pk)
                       .order_by("-series_ordinal").values_list("series_ordinal", flat=True).first() or 0)
    return year, sequence, ordinal


def _counter(body_id: int, word: str, year: int) -> tuple[NumberCounter, bool]:
    try:
        with transaction.atomic():
            return NumberCounter.objects.get_or_create(body_id=body_id, word=word, year=year)
    except IntegrityError:
        # A concurrent sign-off created this year's row first.
        return NumberCounter.objects.get(body_id=body_id, word=word, year=year), False


@transaction.atomic
def document_sign_off(*, actor: Actor, document: Document, at: dt.datetime | None = None) -> Document:
    """签发: a leader signs off; the text freezes and the number is taken, in one transaction."""
    _require(actor, "documents.signoff")
    locked = Document.objects.select_for_update().select_related("kind", "body").get(pk=document.pk)
    _scope(actor, locked.unit_id)
    if locked.status not in (Status.DRAFT, Status.REVIEW):
        raise ValidationError(_("This document is already signed off."))
    if locked.kind.direction == "down" and not locked.recipients.exists():
        raise ValidationError(_("A notice without recipients cannot be signed off: add its main recipients."))
    before = snapshot(locked)
    locked.signed_at = at or clock.now()
    locked.signed_by = user_of(actor)
    locked.signer_name = getattr(getattr(actor, "person", None), "name", "") or getattr(actor, "full_name", "")
    if locked.number is None:
        year, sequence, ordinal = _next_number(locked)
        prefix = f"{locked.body.prefix}{locked.kind.number_word}"
        locked.word, locked.year, locked.sequence = locked.kind.number_word, year, sequence
        locked.number = format_number(prefix, year, sequence)
        if ordinal is not None:
            locked.series_ordinal = ordinal
    locked.status = Status.SIGNED
    locked.save()
    DocumentVersion.objects.create(document=locked, version=locked.version, title=locked.title, text=locked.text,
                                   signed_at=locked.signed_at, created_by=user_of(actor),
                                   reason=_("Signed off") if locked.version == 1 else "")
    audit_change(actor=actor, obj=locked, before=before)
    return locked


@transaction.atomic
def document_new_version(*, actor: Actor, document: Document, title: str, text: str, reason: str) -> Document:
    """A change after sign-off: a new version with its reason, back to review. The signed text of
    every earlier version stays as it was; the number stays."""
    _require(actor, "documents.change")
    locked = Document.objects.select_for_update().get(pk=document.pk)
    _scope(actor, locked.unit_id)
    reason = _text(reason, 200)
    if not locked.frozen or locked.status == Status.WITHDRAWN:
        raise ValidationError(_("Only a signed-off document gets a new version."))
    if not reason:
        raise ValidationError({"reason": [_("Say why the text changes.")]})
    before = snapshot(locked)
    locked.version += 1
    locked.title, locked.text = _text(title, 200), _text(text)
    locked.status = Status.REVIEW
    locked.full_clean(exclude=["number", "figures"])
    locked.save()
    DocumentVersion.objects.filter(document=locked, version=locked.version - 1).update(reason=reason)
    audit_change(actor=actor, obj=locked, before=before)
    return locked


@transaction.atomic
def document_issue(*, actor: Actor, document: Document, on: dt.date | None = None, at: dt.datetime | None = None,
                   notify: bool = True) -> Document:
    """印发: the signed-off document goes out and reaches each recipient unit's inbox (and, with
    ``notify``, each unit's people and channels through ``notify``)."""
    _require(actor, "documents.change")
    locked = Document.objects.select_for_update().get(pk=document.pk)
    _scope(actor, locked.unit_id)
    if locked.status != Status.SIGNED:
        raise ValidationError(_("Only a signed-off document can be issued."))
    before = snapshot(locked)
    locked.status = Status.ISSUED
    locked.issued_on = locked.issued_on or on or clock.today()
    locked.save()
    locked.recipients.filter(delivered_at__isnull=True).update(delivered_at=at or clock.now())
    audit_change(actor=actor, obj=locked, before=before)
    if notify:
        _notify_recipients(actor, locked, list(locked.recipients.select_related("unit")), reminder=False)
    return locked


@transaction.atomic
def document_withdraw(*, actor: Actor, document: Document, reason: str) -> Document:
    """作废: the document is void and keeps its number, marked withdrawn."""
    _require(actor, "documents.change")
    locked = Document.objects.select_for_update().get(pk=document.pk)
    _scope(actor, locked.unit_id)
    reason = _text(reason, 200)
    if not reason:
        raise ValidationError({"reason": [_("Say why the document is withdrawn.")]})
    if locked.status == Status.WITHDRAWN:
        raise ValidationError(_("This document is already withdrawn."))
    before = snapshot(locked)
    locked.status = Status.WITHDRAWN
    if locked.signed_at is None:
        locked.signed_at = clock.now()
    locked.withdrawn_at = clock.now()
    locked.withdraw_reason = reason
    locked.save()
    audit_change(actor=actor, obj=locked, before=before)
    return locked


# -- distribution, receipt and replies -----------------------------------------------------------


def _notify_recipients(actor: Actor, document: Document, recipients: list[DocumentRecipient], *,
                       reminder: bool) -> int:
    from fangkong.notify.choices import MessageKind
    from fangkong.notify.services import Outgoing, messages_send

    if not recipients:
        return 0
    stamp = clock.now().strftime("%Y%m%d%H%M")
    items = []
    for r in recipients:
        if reminder:
            subject = _("Please sign for %(number)s %(title)s") % {"number": document.number or "",
                                                                  "title": document.display_title}
            key = f"documents:remind:{r.pk}:{stamp}"
        else:
            subject = _("New document: %(number)s %(title)s") % {"number": document.number or "",
                                                                "title": document.display_title}
            key = f"documents:issued:{r.pk}"
        body = subject
        if document.reply_due:
            body += _(" Reply by %(day)s.") % {"day": document.reply_due.isoformat()}
        items.append(Outgoing(unit=r.unit, kind=MessageKind.MANUAL, key=key, subject=subject, body=body))
    # The platform delivers what the office issued: recipients may lie beyond the sender's own
    # notification scope (the committee writes to every department).
    return len(messages_send(items, actor=SYSTEM))


@transaction.atomic
def remind_unsigned(*, actor: Actor, document: Document) -> int:
    """催签: remind every recipient unit that has not signed for the document yet."""
    _require(actor, "documents.change")
    _scope(actor, document.unit_id)
    if document.status != Status.ISSUED:
        raise ValidationError(_("Only an issued document is signed for."))
    pending = list(document.recipients.filter(signed_at__isnull=True).select_related("unit"))
    sent = _notify_recipients(actor, document, pending, reminder=True)
    DocumentRecipient.objects.filter(pk__in=[r.pk for r in pending]).update(
        reminded_at=clock.now(), reminders=F("reminders") + 1)
    return sent


def may_sign_for(actor: Actor, recipient: DocumentRecipient) -> bool:
    """The unit's designated person (its liaison) signs for it; a unit without one, whoever of it
    may receive documents."""
    if is_system(actor):
        return True
    if not user_has_perm(actor, "documents.receive"):
        return False
    ids = scope_unit_ids(actor)  # read once per user object: a page asks for every recipient
    if ids is not None and recipient.unit_id not in ids:
        return False
    liaison = recipient.unit.liaison_id
    return liaison is None or liaison == getattr(actor, "person_id", None)


@transaction.atomic
def sign_for(*, actor: Actor, recipient: DocumentRecipient) -> DocumentRecipient:
    """签收: once per recipient unit, by its designated person."""
    locked = DocumentRecipient.objects.select_for_update().select_related("unit", "document").get(pk=recipient.pk)
    if not may_sign_for(actor, locked):
        raise PermissionDenied(_("Only the designated person of %(unit)s signs for it.") % {"unit": locked.unit})
    if locked.document.status not in (Status.ISSUED, Status.WITHDRAWN):
        raise ValidationError(_("This document has not been issued."))
    if locked.signed_at is not None:
        raise ValidationError(_("Already signed for on %(at)s.") % {
            "at": timezone.localtime(locked.signed_at).strftime("%Y-%m-%d %H:%M")})
    before = snapshot(locked)
    locked.signed_at = clock.now()
    locked.signed_by = user_of(actor)
    locked.save()
    audit_change(actor=actor, obj=locked, before=before)
    return locked


@transaction.atomic
def reply_submit(*, actor: Actor, recipient: DocumentRecipient, text: str) -> Reply:
    """A recipient unit replies; after the due date the reply is accepted and flagged late."""
    locked = DocumentRecipient.objects.select_for_update().select_related("unit", "document").get(pk=recipient.pk)
    if not may_sign_for(actor, locked):
        raise PermissionDenied(_("Only the designated person of %(unit)s replies for it.") % {"unit": locked.unit})
    document = locked.document
    if document.status != Status.ISSUED or document.reply_due is None:
        raise ValidationError(_("This document asks for no reply."))
    text = _text(text)
    if not text:
        raise ValidationError({"text": [_("Write the reply.")]})
    if Reply.objects.filter(recipient=locked).exists():
        raise ValidationError(_("%(unit)s has already replied.") % {"unit": locked.unit})
    now = clock.now()
    reply = Reply(recipient=locked, unit_id=locked.unit_id, text=text, submitted_by=user_of(actor),
                  submitted_at=now, late=timezone.localtime(now).date() > document.reply_due)
    reply.save()
    if locked.signed_at is None:
        # Replying is reading: the reply signs for the document too.
        locked.signed_at, locked.signed_by = now, user_of(actor)
        locked.save(update_fields=["signed_at", "signed_by"])
    audit_change(actor=actor, obj=reply, before=None)
    return reply


# -- formal reports from the records ---------------------------------------------------------------


def figures_as_of(keys: Iterable[str], at: dt.datetime) -> dict[str, dict[str, Any]]:
    """The named figures (``line.figure``) for the whole city as of ``at``, with their links,
    computed by the same functions as the command picture and ``fangkong stats``."""
    from fangkong.command.registry import LINES, AsOf
    from fangkong.command.selectors import compute

    wanted: dict[str, set[str]] = {}
    for key in keys:
        line_key, figure_key = key.split(".", 1)
        wanted.setdefault(line_key, set()).add(figure_key)
    out: dict[str, dict[str, Any]] = {}
    for line_key, names in wanted.items():
        found = LINES.get(line_key)
        if found is None or not found.enabled:
            continue
        for fig in compute(found, AsOf(SYSTEM, at)).figures:
            if fig.key in names:
                out[f"{line_key}.{fig.key}"] = {
                    "key": f"{line_key}.{fig.key}", "label": str(fig.label), "value": fig.value,
                    "list_url": fig.list_url, "api_url": fig.api_url,
                    "denominator_api_url": fig.denominator_api_url,
                }
    return out


def figure_text(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"
    return str(value)


def render_template(template: str, figures: dict[str, dict[str, Any]]) -> str:
    def put(match: re.Match[str]) -> str:
        figure = figures.get(match.group(1).strip())
        return figure_text(figure["value"]) if figure else match.group(0)
    return PLACEHOLDER.sub(put, template)


@transaction.atomic
def report_generate(
    *, actor: Actor, body: IssuingBody, kind: DocumentKind, title: str, as_of: dt.datetime,
    addressed_to: str = "", series_title: str = "", copy: Sequence[Unit] = (),
) -> Document:
    """A formal report drafted from the records: the kind's template with each figure as of the
    stated moment. The report keeps the moment and every figure with its links."""
    _require(actor, "documents.change")
    if not kind.template:
        raise ValidationError({"kind": [_("This kind has no report template.")]})
    if timezone.is_naive(as_of):
        as_of = timezone.make_aware(as_of)
    if as_of > clock.now():
        raise ValidationError({"as_of": [_("A report cannot state figures as of a moment still to come.")]})
    keys = template_check(kind.template)
    figures = figures_as_of(keys, as_of)
    document = document_draft(actor=actor, body=body, kind=kind, title=title,
                              text=render_template(kind.template, figures), addressed_to=addressed_to,
                              series_title=series_title, copy=copy)
    document.as_of = as_of
    document.figures = [figures[k] for k in dict.fromkeys(keys) if k in figures]
    document.save(update_fields=["as_of", "figures"])
    return document


def figure_changes(document: Document) -> list[dict[str, Any]]:
    """数据已变化: the stored figures whose value the records give differently today."""
    if not document.as_of or not document.figures:
        return []
    now = figures_as_of([f["key"] for f in document.figures], document.as_of)
    changes = []
    for stored in document.figures:
        current = now.get(stored["key"])
        if current is not None and current["value"] != stored["value"]:
            changes.append({**stored, "old": figure_text(stored["value"]), "new": figure_text(current["value"])})
    return changes


# -- instructions and their follow-up items -----------------------------------------------------


@transaction.atomic
def instruction_record(
    *, actor: Actor, document: Document, leader_name: str, leader_position: str, given_on: dt.date, text: str,
    items: Sequence[dict[str, Any]] = (), image: Any = None,
) -> Instruction:
    """批示: recorded against a document, with its follow-up items (unit, person, task, due_on)."""
    _require(actor, "documents.instruct")
    _scope(actor, document.unit_id)
    if document.status not in (Status.SIGNED, Status.ISSUED):
        raise ValidationError(_("An instruction is recorded on a signed-off document."))
    if given_on > clock.today():
        raise ValidationError({"given_on": [_("The date is still to come.")]})
    instruction = Instruction(
        document=document, unit_id=document.unit_id, leader_name=_text(leader_name, 40),
        leader_position=_text(leader_position, 60), given_on=given_on, text=_text(text),
        recorded_by=user_of(actor), recorded_at=clock.now(),
    )
    if image:
        check_upload(image, "image")
        instruction.image = image
    instruction.full_clean()
    instruction.save()
    audit_change(actor=actor, obj=instruction, before=None)
    for item in items:
        item_add(actor=actor, instruction=instruction, **item)
    return instruction


@transaction.atomic
def item_add(*, actor: Actor, instruction: Instruction, unit: Unit, task: str, due_on: dt.date,
             person: Person | None = None) -> InstructionItem:
    _require(actor, "documents.instruct")
    _scope(actor, instruction.unit_id)
    if instruction.closed_at is not None:
        raise ValidationError(_("This instruction is closed."))
    item = InstructionItem(instruction=instruction, unit=unit, person=person, task=_text(task, 300), due_on=due_on)
    item.full_clean()
    item.save()
    audit_change(actor=actor, obj=item, before=None)
    return item


@transaction.atomic
def item_answer(*, actor: Actor, item: InstructionItem, answer: str) -> InstructionItem:
    """办理结果: the assigned unit (or the office) writes what was done."""
    locked = InstructionItem.objects.select_for_update().get(pk=item.pk)
    if not (user_has_perm(actor, "documents.receive") or user_has_perm(actor, "documents.instruct")):
        raise PermissionDenied(_("Your role may not do this."))
    if not (unit_in_scope(actor, locked.unit_id) or unit_in_scope(actor, locked.instruction.unit_id)):
        raise PermissionDenied(_("This is outside your scope."))
    if locked.status == ItemStatus.CLOSED:
        raise ValidationError(_("This item is closed."))
    answer = _text(answer)
    if not answer:
        raise ValidationError({"answer": [_("Write what was done.")]})
    before = snapshot(locked)
    locked.answer, locked.status = answer, ItemStatus.ANSWERED
    locked.answered_by, locked.answered_at = user_of(actor), clock.now()
    locked.save()
    audit_change(actor=actor, obj=locked, before=before)
    return locked


@transaction.atomic
def item_close(*, actor: Actor, item: InstructionItem) -> InstructionItem:
    """The office closes an answered item; the instruction closes with its last item."""
    _require(actor, "documents.change")
    locked = InstructionItem.objects.select_for_update().select_related("instruction").get(pk=item.pk)
    _scope(actor, locked.instruction.unit_id)
    if locked.status == ItemStatus.CLOSED:
        raise ValidationError(_("This item is already closed."))
    if not locked.answer:
        raise ValidationError(_("An item is closed once its result is written."))
    before = snapshot(locked)
    locked.status, locked.closed_by, locked.closed_at = ItemStatus.CLOSED, user_of(actor), clock.now()
    locked.save()
    audit_change(actor=actor, obj=locked, before=before)
    instruction = locked.instruction
    if not instruction.items.exclude(status=ItemStatus.CLOSED).exists():
        before_i = snapshot(instruction)
        instruction.closed_at = clock.now()
        instruction.save(update_fields=["closed_at"])
        audit_change(actor=actor, obj=instruction, before=before_i)
    return locked


def remind_items(*, actor: Actor, day: dt.date | None = None) -> int:
    """Remind the units of open items due within two days or overdue (once a day per item)."""
    from fangkong.notify.choices import MessageKind
    from fangkong.notify.services import Outgoing, messages_send

    from .models import YELLOW_DAYS

    _require(actor, "documents.change")
    day = day or clock.today()
    due = (InstructionItem.objects.visible_to(actor).exclude(status=ItemStatus.CLOSED)
           .filter(due_on__lte=day + dt.timedelta(days=YELLOW_DAYS)).select_related("unit", "instruction"))
    items = [Outgoing(
        unit=i.unit, kind=MessageKind.MANUAL, key=f"documents:item:{i.pk}:{day.isoformat()}",
        subject=_("Instruction item due %(day)s: %(task)s") % {"day": i.due_on.isoformat(), "task": i.task[:60]},
        body=i.task) for i in due]
    sent = messages_send(items, actor=SYSTEM)
    InstructionItem.objects.filter(pk__in=[i.pk for i in due]).update(reminded_on=day)
    return len(sent)
