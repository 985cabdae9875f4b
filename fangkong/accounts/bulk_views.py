"""The security administrator's page for accounts in bulk: upload, preview, import, and the
account slips handed over as the import's answer (the one time the passwords exist)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fangkong.core import clock
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.forms import ColumnMappingField
from fangkong.core.scoping import user_has_perm
from fangkong.orgs.golive_views import golive_dir, keep_upload
from fangkong.returnees.ledger.sniff import LedgerFileError

from .bulk import HEADERS, commit_accounts, plan_accounts
from .slips import slips_pdf

SESSION_KEY = "golive_accounts_upload"


class AccountsImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Accounts (xlsx, xls, ods or csv)"))
    mapping = ColumnMappingField(HEADERS)


class AccountsImportView(LoginRequiredMixin, View):
    template_name = "accounts/accounts_import.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not user_has_perm(request.user, "accounts.grant"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": AccountsImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        if "commit" in request.POST:
            return self._commit(request)
        form = AccountsImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        path = keep_upload(request, upload, "accounts")
        try:
            plan = plan_accounts(path, actor=request.user, mapping=form.cleaned_data["mapping"] or None)  # type: ignore[arg-type]
        except MappingNeeded as needed:
            form.add_error("mapping", needed.message)
            return render(request, self.template_name, {"form": form, "header": needed.plan}, status=400)
        except LedgerFileError as exc:
            form.add_error("file", str(exc))
            return render(request, self.template_name, {"form": form}, status=400)
        request.session[SESSION_KEY] = {"sha256": plan.sha256, "name": upload.name or "accounts"}
        context = {"form": form, "plan": plan, "counts": plan.counts(), "file_name": upload.name,
                   "problems": plan.problems[:500], "rows": plan.rows[:1000]}
        return render(request, self.template_name, context, status=200 if plan.ok else 400)

    def _commit(self, request: HttpRequest) -> HttpResponse:
        kept = request.session.get(SESSION_KEY)
        path = golive_dir() / f"accounts-{request.user.pk}-upload"
        if not kept or not path.exists() or kept["sha256"] != request.POST.get("sha256"):
            messages.error(request, _("The previewed file is no longer here: upload it again."))
            return redirect("accounts:accounts_import")
        plan = plan_accounts(path, actor=request.user)  # type: ignore[arg-type]
        if not plan.ok or plan.sha256 != kept["sha256"]:
            messages.error(request, _("Nothing was written: the file has problems now. Upload it again to see them."))
            return redirect("accounts:accounts_import")
        _counts, slips = commit_accounts(plan, actor=request.user, file_name=kept["name"])  # type: ignore[arg-type]
        path.unlink(missing_ok=True)
        del request.session[SESSION_KEY]
        pdf = slips_pdf(slips, site_url=request.build_absolute_uri("/"))
        response = HttpResponse(pdf, content_type="application/pdf")
        name = f"账号通知单-{clock.today().isoformat()}.pdf"
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        return response
