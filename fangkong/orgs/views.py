from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fangkong.core.scoping import user_has_perm
from fangkong.core.views import ScopedDetailView, ScopedListView, ScopedMixin
from fangkong.people.models import Person

from . import selectors, services
from .filtersets import UnitFilterSet
from .forms import UnitForm
from .models import Pairing, Unit, WorkingGroup


class UnitTreeView(ScopedMixin, TemplateView):
    """The tree browser: the user's top units; children load on demand (HTMX)."""

    model = Unit
    template_name = "orgs/unit_tree.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        roots = selectors.visible_roots(self.request.user)  # type: ignore[arg-type]
        ids = [u.pk for u in roots]
        counts = dict(Unit.objects.filter(parent_id__in=ids).values_list("parent_id").annotate(n=Count("id")))
        for unit in roots:
            unit.child_count = counts.get(unit.pk, 0)  # type: ignore[attr-defined]
        context["roots"] = roots
        context["can_change"] = user_has_perm(self.request.user, "orgs.change")
        return context


class UnitChildrenView(ScopedMixin, View):
    model = Unit

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        unit = self.get_object()
        children = selectors.children_with_counts(request.user, unit)  # type: ignore[arg-type]
        return render(request, "orgs/_unit_children.html", {"children": children})


class UnitListView(ScopedListView):
    model = Unit
    filterset_class = UnitFilterSet
    template_name = "orgs/unit_list.html"
    partial_template = "orgs/_unit_table.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("parent")


class UnitDetailView(ScopedDetailView):
    model = Unit
    template_name = "orgs/unit_detail.html"
    unit_kwarg = "pk"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit = context["object"]
        user = self.request.user
        context.update(
            ancestors=[a for a in selectors.unit_ancestors(unit)],
            children=selectors.children_with_counts(user, unit),  # type: ignore[arg-type]
            people_count=Person.objects.visible_to(user).under(unit.pk).count(),  # type: ignore[attr-defined]
            pairings=Pairing.objects.visible_to(user)
            .filter(department=unit)
            .select_related("community") | Pairing.objects.visible_to(user).filter(community=unit).select_related(
                "department"
            ),
            groups=WorkingGroup.objects.visible_to(user).filter(unit=unit).prefetch_related("members__person"),
            can_change=user_has_perm(user, "orgs.change"),
            can_people=user_has_perm(user, "people.view"),
        )
        return context


class UnitEditView(ScopedMixin, TemplateView):
    model = Unit
    template_name = "orgs/unit_form.html"

    def instance(self) -> Unit | None:
        # Outside scope answers 404 before a missing change permission answers 403.
        unit = self.get_object() if "pk" in self.kwargs else None
        self.require("change")
        return unit

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        unit = self.instance()
        initial: dict[str, Any] = {}
        if unit is not None:
            initial = {f: getattr(unit, f) for f in UnitForm.base_fields}
        elif request.GET.get("parent", "").isdigit():
            parent = Unit.objects.visible_to(request.user).filter(pk=int(request.GET["parent"])).first()
            initial = {"parent": parent}
        form = UnitForm(initial=initial, user=request.user)
        return render(request, self.template_name, {"form": form, "object": unit})

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        unit = self.instance()
        form = UnitForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if unit is None:
                    if data["parent"] is None and not request.user.role == "system_admin":  # type: ignore[union-attr]
                        raise ValidationError({"parent": _("Choose a parent unit.")})
                    unit = services.unit_create(actor=request.user, **data)  # type: ignore[arg-type]
                    messages.success(request, _("Unit added."))
                else:
                    unit = services.unit_update(actor=request.user, unit=unit, **data)  # type: ignore[arg-type]
                    messages.success(request, _("Changes saved."))
                return redirect(unit)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
        return render(request, self.template_name, {"form": form, "object": unit}, status=400)


class UnitDeleteView(ScopedMixin, View):
    model = Unit

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        unit = self.get_object()
        self.require("change")
        parent = unit.parent
        try:
            services.unit_delete(actor=request.user, unit=unit)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(unit)
        messages.success(request, _("Unit deleted."))
        return redirect(parent or "orgs:unit_tree")


class GroupListView(ScopedMixin, TemplateView):
    """The leading group and the working groups, with each member's items."""

    model = WorkingGroup
    template_name = "orgs/group_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["groups"] = self.get_queryset().select_related("unit").prefetch_related("members__person__unit")
        return context

