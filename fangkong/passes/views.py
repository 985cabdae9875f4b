"""Pass pages for the office (list, issue, detail, revoke, print) and the checkpoint page."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from fangkong.core import clock
from fangkong.core.clock import client_moment
from fangkong.core.columnmap import parse_map_options
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.core.views import PermissionMixin, ScopedListView, ScopedMixin
from fangkong.deployment import services as deployment
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink

from . import numbering, selectors, services
from .choices import CheckSource, Direction, PassStatus, Verdict
from .filtersets import PassCheckFilterSet, PassFilterSet
from .forms import DepartmentBatchForm, StaffPassForm, StatusForm, VehiclePassForm
from .imports import COLUMNS, import_passes
from .keys import public_key_document
from .models import Pass, PassCheck
from .printing import CARDS_PER_PAGE, pass_sheets, qr_matrix

MAX_PRINT = 2000


class PassListView(ScopedListView):
    model = Pass
    filterset_class = PassFilterSet
    template_name = "passes/pass_list.html"

    def get_queryset(self) -> QuerySet[Pass]:
        return super().get_queryset().select_related("person", "unit").order_by("-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = user_has_perm(self.request.user, "passes.change")
        context["can_verify"] = user_has_perm(self.request.user, "passes.verify")
        cards = min(self.printable().count(), MAX_PRINT)
        context["print_cards"] = cards
        context["print_pages"] = -(-cards // CARDS_PER_PAGE)
        context["print_capped"] = cards == MAX_PRINT
        return context

    def printable(self) -> QuerySet[Pass]:
        """The passes the card sheets hold: the filtered list's issued ones."""
        filterset = self.filtered()
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        return qs.filter(status=PassStatus.ISSUED)  # type: ignore[no-any-return]


class PassCheckListView(ScopedListView):
    """The passage log of the checkpoints in scope (the command picture's checks link here)."""

    model = PassCheck
    filterset_class = PassCheckFilterSet
    template_name = "passes/check_list.html"

    def get_queryset(self) -> QuerySet[PassCheck]:
        return super().get_queryset().select_related("checkpoint").order_by("-checked_at", "-id")


class PassPrintView(PassListView):
    """The filtered list as A4 card sheets (PDF) for the print shop."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        qs = self.printable().prefetch_related("zones").order_by("id")[:MAX_PRINT]
        pdf = pass_sheets(list(qs))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="passes.pdf"'
        return response


def _svg(token: str) -> str:
    matrix = qr_matrix(token)
    n = len(matrix) + 8
    rects = "".join(
        f'<rect x="{c + 4}" y="{r + 4}" width="1" height="1"/>' for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="220" height="220" '
            f'shape-rendering="crispEdges"><rect width="{n}" height="{n}" fill="#fff"/><g fill="#000">{rects}</g></svg>')


class PassDetailView(ScopedMixin, View):
    model = Pass

    def get_queryset(self) -> QuerySet[Pass]:
        return super().get_queryset().select_related("person", "unit", "key").prefetch_related("zones")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        p = self.get_object()
        checks = PassCheck.objects.filter(pass_obj=p).select_related("checkpoint", "checked_by")[:50]
        now = clock.now()
        period = "ended" if p.valid_until <= now else "ahead" if p.valid_from > now else ""
        return render(request, "passes/pass_detail.html", {
            "object": p, "qr_svg": _svg(p.token), "checks": checks, "period": period,
            "can_change": user_has_perm(request.user, "passes.change"), "status_form": StatusForm(),
        })


class PassCardView(PassDetailView):
    """One pass as a card to print (the browser's print dialog), with its QR code."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        p = self.get_object()
        return render(request, "passes/pass_card.html", {"object": p, "qr_svg": _svg(p.token)})


class PassStatusView(ScopedMixin, View):
    """Revoke, suspend or reinstate a pass (POST)."""

    model = Pass
    required_perm = "passes.change"
    actions = {"revoke": services.revoke_pass, "suspend": services.suspend_pass, "reinstate": services.reinstate_pass}

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        p = self.get_object()
        if action not in self.actions:
            raise Http404
        form = StatusForm(request.POST)
        reason = form.data.get("reason", "")
        try:
            self.actions[action](actor=request.user, p=p, reason=reason)  # type: ignore[operator,arg-type]
            messages.success(request, _("Pass %(number)s: %(status)s.") % {
                "number": p.number, "status": Pass.objects.get(pk=p.pk).get_status_display()})
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect(p.get_absolute_url())


class PersonPickerView(ScopedMixin, View):
    """The staff pass form's holder list (an htmx partial): people in the issuer's scope found by
    name, pinyin initials or unit, with masked ID numbers only. The holder already ticked stays
    at the top."""

    model = Pass
    required_perm = "passes.change"
    limit = 20

    def get(self, request: HttpRequest) -> HttpResponse:
        text = request.GET.get("q", "")[:50]
        people = list(selectors.pass_holders(request.user, text)[: self.limit + 1]) if text.strip() else []
        chosen = None
        if str(request.GET.get("person", "")).isdigit():
            chosen = selectors.pass_holders(request.user).filter(pk=int(request.GET["person"])).first()
        return render(request, "passes/_person_options.html", {
            "people": people[: self.limit], "more": len(people) > self.limit, "query": text.strip(),
            "chosen": chosen, "limit": self.limit,
        })


class _IssueView(ScopedMixin, View):
    model = Pass
    required_perm = "passes.change"
    form_class: Any = None
    title = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.form_class(user=request.user))

    def render(self, form: Any) -> HttpResponse:
        return render(self.request, "passes/pass_form.html", {"form": form, "title": self.title})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form_class(request.POST, user=request.user)
        if form.is_valid():
            try:
                result = self.issue(form.cleaned_data)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                return result
        return self.render(form)

    def issue(self, data: dict[str, Any]) -> HttpResponse:
        raise NotImplementedError


class StaffPassIssueView(_IssueView):
    form_class = StaffPassForm
    title = _("Issue a staff pass")

    def issue(self, data: dict[str, Any]) -> HttpResponse:
        start, end = services.day_bounds(data["valid_from"], data["valid_until"])
        p = services.issue_staff_pass(
            actor=self.request.user, person=data["person"], unit=data.get("unit"),  # type: ignore[arg-type]
            valid_from=start, valid_until=end, zones=list(data["zones"]), purpose=data["purpose"],
        )
        messages.success(self.request, _("Pass %(number)s issued.") % {"number": p.number})
        return redirect(p.get_absolute_url())


class VehiclePassIssueView(_IssueView):
    form_class = VehiclePassForm
    title = _("Issue a vehicle pass")

    def issue(self, data: dict[str, Any]) -> HttpResponse:
        start, end = services.day_bounds(data["valid_from"], data["valid_until"])
        p = services.issue_vehicle_pass(
            actor=self.request.user, plate=data["plate"], unit=data["unit"], valid_from=start,  # type: ignore[arg-type]
            valid_until=end, driver_name=data["driver_name"], owner_name=data["owner_name"],
            zones=list(data["zones"]), purpose=data["purpose"],
        )
        messages.success(self.request, _("Pass %(number)s issued.") % {"number": p.number})
        return redirect(p.get_absolute_url())


class DepartmentIssueView(_IssueView):
    form_class = DepartmentBatchForm
    title = _("Issue passes to a department's seconded cadres")

    def issue(self, data: dict[str, Any]) -> HttpResponse:
        start, end = services.day_bounds(data["valid_from"], data["valid_until"])
        passes = services.issue_department_passes(
            actor=self.request.user, department=data["department"], on=data["valid_from"],  # type: ignore[arg-type]
            valid_from=start, valid_until=end, purpose=data["purpose"],
        )
        messages.success(self.request, _("%(n)d passes issued.") % {"n": len(passes)})
        return redirect(reverse("passes:pass_list") + f"?unit={data['department'].pk}")


class PassImportView(ScopedMixin, View):
    """Issue passes from an xlsx list: every row checked first, then all issued or none."""

    model = Pass
    required_perm = "passes.change"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "passes/pass_import.html", {"columns": list(COLUMNS.values())})

    def post(self, request: HttpRequest) -> HttpResponse:
        upload = request.FILES.get("file")
        errors: list[Any] = []
        if upload is None:
            errors = [_("Choose an xlsx file.")]
        else:
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
                fh.flush()
                try:
                    mapping = parse_map_options(
                        line for line in request.POST.get("mapping", "").splitlines() if line.strip())
                except ValueError:
                    mapping = {}
                result = import_passes(actor=request.user, path=Path(fh.name),  # type: ignore[arg-type]
                                       mapping=mapping or None)
            if not result.errors:
                messages.success(request, _("%(n)d passes issued.") % {"n": len(result.passes)})
                return redirect("passes:pass_list")
            errors = result.errors
        return render(request, "passes/pass_import.html", {"columns": list(COLUMNS.values()), "errors": errors}, status=400)


# ---- the checkpoint page ----------------------------------------------------------------------


class _CheckpointMixin(PermissionMixin):
    required_perm = "passes.verify"


def _checkpoints(user: Any) -> QuerySet[Unit]:
    return Unit.objects.visible_to(user).filter(kind=UnitKind.CHECKPOINT).order_by("code")


class CheckpointChooseView(_CheckpointMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        checkpoints = list(_checkpoints(request.user)[:500])
        if len(checkpoints) == 1:
            return redirect("passes:checkpoint", code=checkpoints[0].code)
        return render(request, "passes/checkpoint_choose.html", {"checkpoints": checkpoints})


def _checkpoint(request: HttpRequest, code: str) -> tuple[Unit, frozenset[int]]:
    zone = selectors.checkpoint_zone(code)
    if zone is None or not unit_in_scope(request.user, zone[0]):  # type: ignore[arg-type]
        raise Http404
    return Unit.objects.get(pk=zone[0]), zone[1]


VERDICT_LABELS = {v.value: str(v.label) for v in Verdict}


class CheckpointView(_CheckpointMixin, View):
    """The phone page. Everything it needs to verify offline is in the page or fetched into the cache."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        checkpoint, zone_ids = _checkpoint(request, code)
        config = {
            "checkpoint": {"code": checkpoint.code, "id": checkpoint.pk, "name": checkpoint.name, "zones": sorted(zone_ids)},
            "urls": {
                "keys": reverse("passes:checkpoint_keys"), "revocations": reverse("passes:checkpoint_revocations"),
                "lookup": reverse("passes:checkpoint_lookup"), "log": reverse("passes:checkpoint_log"),
                "sw": reverse("passes:checkpoint_sw"), "photo": reverse("passes:checkpoint_photo", args=[0]),
                "checkin": reverse("passes:checkpoint_checkin"), "shift": reverse("passes:checkpoint_shift"),
            },
            "labels": VERDICT_LABELS,
            "time_zone": settings.TIME_ZONE,
            "user": request.user.get_username(),
            "cache": SW_VERSION,
            # Seconds from the real clock to the business clock (a frozen story day), for the
            # offline verdict and the moments the page logs.
            "business_offset": round((clock.now() - clock.real_now()).total_seconds()),
        }
        return render(request, "passes/checkpoint.html", {
            "checkpoint": checkpoint, "config": config,
            "other_checkpoints": _checkpoints(request.user).exclude(pk=checkpoint.pk).exists(),
        })


class CheckpointKeysView(_CheckpointMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse({"keys": public_key_document()})


@method_decorator(never_cache, name="dispatch")
class CheckpointRevocationsView(_CheckpointMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(selectors.revocation_document())


@method_decorator(never_cache, name="dispatch")
class CheckpointLookupView(_CheckpointMixin, View):
    """A typed pass number, verified by the server at this checkpoint (``services.lookup_by_number``:
    rate-limited, audited, holder details only where the pass is valid). The page gets the verdict
    and what the pass claims, never its token; it keeps the claims to answer the same number offline
    against its revocation list. POST, as it counts and writes the audit log."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            data = json.loads(request.body)
            number, code = str(data["number"]), str(data["checkpoint"])
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"detail": _("Malformed request.")}, status=400)
        checkpoint, _zones = _checkpoint(request, code)
        try:
            found = services.lookup_by_number(
                actor=request.user, number=number, checkpoint=checkpoint, log=False,  # type: ignore[arg-type]
                source=CheckSource.PAGE,
            )
        except ValidationError as exc:
            return JsonResponse({"detail": "；".join(exc.messages)}, status=400)
        except services.LookupThrottled as exc:
            response = JsonResponse({"detail": exc.message}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        c, p = found.claims, found.pass_obj
        claims = None if c is None or p is None else {
            "pass_id": c.pass_id, "kind": c.kind, "holder": c.holder, "unit": c.unit_name, "zones": list(c.zones),
            "valid_from": int(c.valid_from.timestamp()), "valid_until": int(c.valid_until.timestamp()),
            "has_photo": bool(p.person_id and p.person and p.person.photo),
        }
        return JsonResponse({"verdict": found.verdict, "label": found.label, "number": found.number, "claims": claims})


class CheckpointPhotoView(_CheckpointMixin, View):
    """The staff pass holder's photo, to compare with the face at the checkpoint.

    Asked for with a proof of holding the card: the scanned code (its signature must verify and
    name this pass) or the printed number. Pass ids are sequential; without the proof an officer
    could walk them and collect every holder's face. A POST, so the code never lands in a URL or
    an access log."""

    def post(self, request: HttpRequest, pass_id: int) -> HttpResponseBase:
        try:
            proof = json.loads(request.body)
            assert isinstance(proof, dict)
            token, number = proof.get("token") or "", proof.get("number") or ""
            assert isinstance(token, str) and isinstance(number, str) and len(token) + len(number) <= 1000
        except (ValueError, AssertionError):
            return JsonResponse({"detail": _("Malformed request.")}, status=400)
        p = Pass.objects.filter(pk=pass_id).select_related("person").first()
        if p is None or p.person is None or not p.person.photo or not _holds(p, token, number):
            raise Http404
        if not _may_see_holder(request.user, p):
            raise Http404
        return FileResponse(p.person.photo.open("rb"))


def _holds(p: Pass, token: str, number: str) -> bool:
    """Whether the caller showed this pass's own signed code or its printed number."""
    if token:
        verification = selectors.verify_token(token)
        return verification.claims is not None and verification.claims.pass_id == p.pk and verification.verdict not in (
            Verdict.FORGED, Verdict.UNKNOWN_KEY, Verdict.UNREADABLE, Verdict.NOT_FOUND)
    if number:
        try:
            return numbering.parse_number(number) == p.number
        except numbering.NumberError:
            return False
    return False


def _may_see_holder(user: Any, p: Pass) -> bool:
    """Whether the user may see the pass holder's photo: the pass is valid at a checkpoint the user
    guards (everywhere, or a zone containing one of the user's checkpoints), or the pass lies in the
    user's scope (its unit)."""
    zone_ids = list(p.zones.values_list("id", flat=True))
    if not zone_ids:
        return True
    guarded = UnitLink.objects.filter(descendant__in=_checkpoints(user).order_by(), ancestor_id__in=zone_ids)
    return guarded.exists() or Pass.objects.visible_to(user).filter(pk=p.pk).exists()


class CheckpointLogView(_CheckpointMixin, View):
    """Checks confirmed on the page, sent as a batch (also the offline queue when it syncs)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            entries = json.loads(request.body)["checks"]
            assert isinstance(entries, list) and len(entries) <= 500
        except (ValueError, KeyError, TypeError, AssertionError):
            return JsonResponse({"detail": _("Malformed request.")}, status=400)
        stored = []
        for entry in entries:
            try:
                checkpoint, _zones = _checkpoint(request, str(entry["checkpoint"]))
                at = parse_datetime(str(entry["at"])) or clock.now()
                verdict = str(entry["verdict"])
                if verdict not in VERDICT_LABELS:
                    raise ValueError(verdict)
                direction = str(entry.get("direction") or "")
                if direction and direction not in Direction.values:
                    raise ValueError(direction)
                # A passage (a direction, confirmed) is recorded for a valid pass only; anything
                # else the page sends, a queue kept by an older page included, is a refusal.
                confirmed = bool(entry.get("confirmed")) and verdict == Verdict.VALID
                if verdict != Verdict.VALID:
                    direction = ""
                pass_id = entry.get("pass_id")
                services.record_check(
                    actor=request.user, checkpoint=checkpoint, verdict=verdict,  # type: ignore[arg-type]
                    pass_id=int(pass_id) if pass_id else None, holder=str(entry.get("holder", "")),
                    # The phone's moment, never in the future (core.clock, the rule check-ins use too).
                    direction=direction, confirmed=confirmed,
                    checked_at=client_moment(at, window=None),
                    source=CheckSource.OFFLINE if entry.get("offline") else CheckSource.PAGE,
                    client_id=str(entry.get("id", "")), list_version=entry.get("list_version"),
                )
                stored.append(entry.get("id"))
            except (KeyError, ValueError, TypeError, ValidationError, Http404):
                continue
        return JsonResponse({"stored": stored})


class CheckpointCheckinView(_CheckpointMixin, View):
    """Check in or out of a roster shift at this checkpoint by scanning one's own staff pass."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            data = json.loads(request.body)
            checkpoint, _zones = _checkpoint(request, str(data["checkpoint"]))
            p = Pass.objects.select_related("person").get(pk=int(data["pass_id"]))
        except (ValueError, KeyError, TypeError, Pass.DoesNotExist):
            return JsonResponse({"detail": _("Malformed request.")}, status=400)
        if p.person is None:
            return JsonResponse({"detail": _("Not a staff pass.")}, status=400)
        fn = deployment.check_in if data.get("direction") != "out" else deployment.check_out
        try:
            fn(actor=request.user, person=p.person, checkpoint=checkpoint)  # type: ignore[arg-type]
        except PermissionDenied as exc:
            return JsonResponse({"detail": str(exc)}, status=403)
        except ValidationError as exc:
            return JsonResponse({"detail": "；".join(exc.messages)}, status=400)
        return JsonResponse({"ok": True})


class CheckpointShiftView(_CheckpointMixin, View):
    """Whether a staff pass's holder is on a roster shift at this checkpoint now (from an hour
    before it starts until it ends): the page then offers check-in and check-out."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            checkpoint, _zones = _checkpoint(request, request.GET.get("checkpoint", ""))
            person_id = Pass.objects.filter(pk=int(request.GET.get("pass_id", ""))).values_list("person_id", flat=True).first()
        except ValueError:
            return JsonResponse({"shift": False}, status=400)
        from fangkong.deployment.models import Assignment

        now = clock.now()
        on_shift = person_id is not None and Assignment.objects.filter(
            person_id=person_id, checkpoint=checkpoint, starts_at__lte=now + dt.timedelta(hours=1), ends_at__gt=now,
        ).exists()
        return JsonResponse({"shift": on_shift})


SW_VERSION = "fk-checkpoint-v5"


class ServiceWorkerView(View):
    """The checkpoint page's service worker, served under /passes/checkpoint/ so that it controls it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "passes/sw.js", {"version": SW_VERSION}, content_type="application/javascript")



class ManifestView(View):
    """The checkpoint page's web-app manifest: installed on a phone's home screen, it opens the
    checkpoint chooser full screen. Public, as browsers fetch manifests without credentials."""

    def get(self, request: HttpRequest) -> HttpResponse:
        manifest = {
            "name": _("Checkpoint check") + " · " + _("fangkong"),
            "short_name": _("Checkpoint check"),
            "lang": "zh-Hans",
            "start_url": reverse("passes:checkpoint_choose"),
            "scope": reverse("passes:checkpoint_choose"),
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#f4f5f7",
            "theme_color": "#0d47a1",
            "icons": [
                {"src": static(f"passes/icons/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png",
                 "purpose": "any maskable"}
                for n in (192, 512)
            ],
        }
        response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
        response["Content-Type"] = "application/manifest+json"
        return response
