"""Pages for going live: the organisation tree from a spreadsheet (system administrator) and
accounts in bulk with their slips (security administrator, in accounts.golive_views).

An upload is kept under MEDIA_ROOT/golive between the preview and the commit, named by its
uploader and SHA-256, and deleted at the commit (or with the next upload of that user); the
commit reads it again and checks it against the database again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fangkong.core import clock
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.forms import ColumnMappingField
from fangkong.core.scoping import user_has_perm
from fangkong.returnees.ledger.sniff import LedgerFileError

from .models import Unit
from .tree_import import KIND_LABELS, LABELS, TreePlan, commit_tree, export_tree, plan_tree

SESSION_KEY = "golive_tree_upload"


def golive_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "golive"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(request: HttpRequest, upload: Any, prefix: str) -> Path:
    """Store an upload for the commit that follows its preview; a user keeps one at a time."""
    user_id = request.user.pk
    for old in golive_dir().glob(f"{prefix}-{user_id}-*"):
        old.unlink(missing_ok=True)
    target = golive_dir() / f"{prefix}-{user_id}-upload"
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


class TreeImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Organisation tree (xlsx, xls, ods or csv)"))
    close_missing = forms.DateField(
        label=gettext_lazy("Close units the file no longer lists, as of"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty to keep them. Closed units are never deleted: their history stays."),
    )
    mapping = ColumnMappingField(LABELS)


def _tree_nodes(plan: TreePlan) -> list[dict[str, Any]]:
    """The tree that will result, as nested nodes marked new / changed / closed / same."""
    units = list(Unit.objects.all().only("id", "name", "kind", "parent_id", "code", "closed_on"))
    changed = {u.pk: c for u, c in plan.updates}
    closing = {u.pk for u in plan.closes}
    nodes: dict[str, dict[str, Any]] = {}
    for u in units:
        mark = "closed" if u.pk in closing or u.closed_on else "changed" if u.pk in changed else "same"
        name = changed.get(u.pk, {}).get("name", u.name)
        nodes[f"u:{u.pk}"] = {"name": name, "old_name": u.name if name != u.name else "", "kind": KIND_LABELS[u.kind],
                              "code": u.code, "mark": mark, "children": [],
                              "parent": changed.get(u.pk, {}).get("parent_key") or (f"u:{u.parent_id}" if u.parent_id else None)}
    for row in plan.creates:
        nodes[f"n:{row.row}"] = {"name": row.name, "old_name": "", "kind": KIND_LABELS.get(row.kind, ""), "code": row.code,
                                 "mark": "new", "children": [], "parent": row.parent_key}
    roots: list[dict[str, Any]] = []
    for node in nodes.values():
        parent = nodes.get(node["parent"]) if node["parent"] else None
        (parent["children"] if parent else roots).append(node)

    def flag(node: dict[str, Any]) -> bool:
        below = [flag(child) for child in node["children"]]
        node["touched"] = node["mark"] in ("new", "changed") or (node["mark"] == "closed" and node["code"] in {
            u.code for u in plan.closes}) or any(below)
        node["children"].sort(key=lambda n: n["code"] or "~" + n["name"])
        return bool(node["touched"])

    for root in roots:
        flag(root)
    return roots


class TreeImportView(LoginRequiredMixin, View):
    template_name = "orgs/tree_import.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not user_has_perm(request.user, "orgs.change"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": TreeImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        if "commit" in request.POST:
            return self._commit(request)
        form = TreeImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        path = keep_upload(request, upload, "tree")
        close_on: dt.date | None = form.cleaned_data["close_missing"]
        try:
            plan = plan_tree(path, actor=request.user, close_missing=close_on,  # type: ignore[arg-type]
                             mapping=form.cleaned_data["mapping"] or None)
        except MappingNeeded as needed:
            form.add_error("mapping", needed.message)
            return render(request, self.template_name, {"form": form, "header": needed.plan}, status=400)
        except LedgerFileError as exc:
            form.add_error("file", str(exc))
            return render(request, self.template_name, {"form": form}, status=400)
        request.session[SESSION_KEY] = {"sha256": plan.sha256, "name": upload.name or "tree",
                                        "close_on": close_on.isoformat() if close_on else ""}
        context = {"form": form, "plan": plan, "counts": plan.counts(), "file_name": upload.name,
                   "close_on": close_on, "problems": plan.problems[:500],
                   "more_problems": max(0, len(plan.problems) - 500)}
        if plan.ok:
            context["tree"] = _tree_nodes(plan)
        return render(request, self.template_name, context, status=200 if plan.ok else 400)

    def _commit(self, request: HttpRequest) -> HttpResponse:
        kept = request.session.get(SESSION_KEY)
        path = golive_dir() / f"tree-{request.user.pk}-upload"
        if not kept or not path.exists() or kept["sha256"] != request.POST.get("sha256"):
            messages.error(request, _("The previewed file is no longer here: upload it again."))
            return redirect("orgs:tree_import")
        close_on = dt.date.fromisoformat(kept["close_on"]) if kept["close_on"] else None
        plan = plan_tree(path, actor=request.user, close_missing=close_on)  # type: ignore[arg-type]
        if not plan.ok or plan.sha256 != kept["sha256"]:
            messages.error(request, _("Nothing was written: the file has problems now. Upload it again to see them."))
            return redirect("orgs:tree_import")
        counts = commit_tree(plan, actor=request.user, close_on=close_on, file_name=kept["name"])  # type: ignore[arg-type]
        path.unlink(missing_ok=True)
        del request.session[SESSION_KEY]
        messages.success(request, _("Organisation tree imported: %(created)d new, %(updated)d changed, "
                                    "%(closed)d closed, %(unchanged)d unchanged.") % counts)
        return redirect("orgs:unit_tree")


class TreeExportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        from django.utils.http import content_disposition_header

        from fangkong.audit.choices import Action
        from fangkong.audit.services import audit_log

        if not user_has_perm(request.user, "orgs.change"):
            raise PermissionDenied
        data, count = export_tree(Unit.objects.visible_to(request.user))
        audit_log(actor=request.user, action=Action.EXPORT, object_type="orgs.tree", object_repr="组织架构",  # type: ignore[arg-type]
                  detail=f"rows={count}")
        name = f"组织架构-{clock.today().isoformat()}.xlsx"
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        return response
