"""The thin generic views every app's pages are built from, and the home page."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from fangkong.core import clock

from .scoping import user_has_perm

MAX_PAGE_SIZE = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def page_size_from(request: HttpRequest, default: int = 50) -> int:
    try:
        size = int(request.GET.get("page_size", default))
    except ValueError:
        return default
    return min(max(size, 1), MAX_PAGE_SIZE)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


class PermissionMixin(LoginRequiredMixin):
    """A page that needs a role permission: 403 without it.

    ``allows`` is the one statement of who may open the page; the menu, the buttons and every
    link ask it too (``core.links``), so nothing offers a page its view would refuse.
    ``unit_kwarg`` names the URL argument that is a unit, when there is one: a unit outside the
    user's scope answers 404, and a link to it renders as plain text.
    """

    required_perm = ""
    unit_kwarg: str | None = None

    @classmethod
    def permission(cls) -> str:
        return cls.required_perm

    @classmethod
    def allows(cls, user: Any, **kwargs: Any) -> bool:
        from .links import may_open_unit

        perm = cls.permission()
        if perm and not user_has_perm(user, perm):
            return False
        if cls.unit_kwarg is not None and cls.unit_kwarg in kwargs:
            return may_open_unit(user, kwargs[cls.unit_kwarg])
        return True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        perm = self.permission()
        if request.user.is_authenticated and perm and not user_has_perm(request.user, perm):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScopedMixin(PermissionMixin):
    """Requires the model's view permission and answers only from ``visible_to(user)``."""

    model: type[Model]
    request: HttpRequest
    kwargs: dict[str, Any]

    @classmethod
    def permission(cls) -> str:
        return cls.required_perm or cls._perm_of(cls.model, "view")

    @staticmethod
    def _perm_of(model: type[Model], action: str) -> str:
        label = getattr(model, "scope_perm_label", model._meta.app_label)
        return f"{label}.{action}"

    def perm(self, action: str) -> str:
        return self._perm_of(self.model, action)

    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[attr-defined]

    def get_object(self) -> Any:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def require(self, action: str) -> None:
        if not user_has_perm(self.request.user, self.perm(action)):  # type: ignore[attr-defined]
            raise PermissionDenied


class ScopedListView(ScopedMixin, TemplateView):
    """A filtered, paginated list. HTMX requests get only the table partial."""

    filterset_class: Any = None
    partial_template = ""
    paginate_by = 50

    def filtered(self) -> Any:
        return self.filterset_class(self.request.GET or None, queryset=self.get_queryset(), request=self.request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset = self.filtered()
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        paginator = Paginator(qs, page_size_from(self.request, self.paginate_by))
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filterset=filterset, page_obj=page, object_list=page.object_list, querystring=query.urlencode())
        return context

    def get_template_names(self) -> list[str]:
        if is_htmx(self.request) and self.partial_template:
            return [self.partial_template]
        return super().get_template_names()


class ScopedDetailView(ScopedMixin, TemplateView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_object()
        return context


class ScopedRevealView(ScopedMixin, View):
    """Shows one masked field of a visible record in clear (an HTMX swap) and audits it."""

    def post(self, request: HttpRequest, pk: int, field: str) -> HttpResponse:
        from fangkong.audit.services import reveal_field

        obj = self.get_object()
        try:
            value = reveal_field(actor=request.user, obj=obj, field=field)  # type: ignore[arg-type]
        except ValidationError:
            return HttpResponse(status=404)
        return render(request, "core/_revealed.html", {"value": value})


def xlsx_export(request: HttpRequest, *, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str,
                filename: str, object_type: str, what: str = "") -> HttpResponse:
    """A board or list as an xlsx download, audited with its row count and the page's filter.

    ``rows`` are the rows the page shows, read through the same ``visible_to(user)`` querysets
    (every page of them); ``what`` says in words which board it was (the audit entry's record).
    """
    from django.utils.http import content_disposition_header

    from fangkong.audit.choices import Action
    from fangkong.audit.services import audit_log

    from .excel import write_xlsx

    content, count = write_xlsx(headers, rows, sheet=sheet)
    audit_log(
        actor=request.user,  # type: ignore[arg-type]
        action=Action.EXPORT, object_type=object_type, object_repr=what or filename,
        detail=f"rows={count} filter={request.GET.urlencode()[:300]}",
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.xlsx") or "attachment"
    return response


class ScopedExportView(ScopedMixin, View):
    """The filtered list as xlsx: the same FilterSet as the page, ID and phone in clear only for
    roles with the app's reveal permission, every export audited with its row count."""

    filterset_class: Any = None
    rows: Any = None  # (queryset, *, clear) -> (headers, rows), from the app's tables.py
    sheet: Any = "Sheet1"
    file_prefix = "export"

    def get(self, request: HttpRequest) -> HttpResponse:
        from fangkong.audit.choices import Action
        from fangkong.audit.services import audit_log

        from .excel import write_xlsx

        filterset = self.filterset_class(request.GET or None, queryset=self.get_queryset(), request=request)
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        clear = user_has_perm(request.user, self.perm("reveal"))
        headers, rows = type(self).rows(qs, clear=clear)
        content, count = write_xlsx(headers, rows, sheet=str(self.sheet))
        audit_log(
            actor=request.user,  # type: ignore[arg-type]
            action=Action.EXPORT, object_type=self.model._meta.label_lower,
            detail=f"rows={count} clear={clear} filter={request.GET.urlencode()[:300]}",
        )
        response = HttpResponse(content, content_type=XLSX)
        stamp = timezone.localtime(clock.real_now()).strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{self.file_prefix}-{stamp}.xlsx"'
        return response


class HomeView(LoginRequiredMixin, TemplateView):
    """The workbench (工作台): the user's to-do list for the business day, most urgent first."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from fangkong.orgs.selectors import visible_roots

        from .workbench import desk_for, items_for

        context = super().get_context_data(**kwargs)
        desk = desk_for(self.request.user)
        items = items_for(self.request.user, desk)
        # What is done (a count at zero) goes below what is still to do, in a compact list.
        context.update(desk=desk, items=[i for i in items if i.count != 0], clear=[i for i in items if i.count == 0],
                       scope=visible_roots(self.request.user))  # type: ignore[arg-type]
        return context
