from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import TemplateView

from fangkong.core.scoping import user_has_perm
from fangkong.core.views import (
    ScopedDetailView,
    ScopedExportView,
    ScopedListView,
    ScopedMixin,
    ScopedRevealView,
)

from . import services
from .filtersets import PersonFilterSet
from .forms import PersonForm
from .models import Person
from .tables import export_rows


class PersonListView(ScopedListView):
    model = Person
    filterset_class = PersonFilterSet
    template_name = "people/person_list.html"
    partial_template = "people/_person_table.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_change"] = user_has_perm(user, "people.change")
        context["can_export"] = user_has_perm(user, "people.export")
        return context


class PersonDetailView(ScopedDetailView):
    model = Person
    template_name = "people/person_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "branch")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_change"] = user_has_perm(user, "people.change")
        context["can_reveal"] = user_has_perm(user, "people.reveal")
        return context


class PersonRevealView(ScopedRevealView):
    model = Person


class PersonEditView(ScopedMixin, TemplateView):
    model = Person
    template_name = "people/person_form.html"

    def instance(self) -> Person | None:
        # Outside scope answers 404 before a missing change permission answers 403.
        person = self.get_object() if "pk" in self.kwargs else None
        self.require("change")
        return person

    def initial(self, person: Person | None) -> dict[str, Any]:
        if person is None:
            return {}
        return {
            "name": person.name, "unit": person.unit,
            "position": person.position, "title": person.title, "is_cadre": person.is_cadre,
            "is_party_member": person.is_party_member, "branch": person.branch,
        }

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        person = self.instance()
        form = PersonForm(initial=self.initial(person), user=request.user, person=person)
        return render(request, self.template_name, {"form": form, "object": person})

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        person = self.instance()
        form = PersonForm(request.POST, request.FILES, user=request.user, person=person)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data.get("photo"):
                data.pop("photo", None)
            if person is not None:  # an empty ID number or phone keeps the one on record
                for name in ("id_number", "phone"):
                    if not data.get(name):
                        data.pop(name, None)
            try:
                if person is None:
                    person = services.person_create(actor=request.user, **data)  # type: ignore[arg-type]
                    messages.success(request, _("Person added."))
                else:
                    person = services.person_update(actor=request.user, person=person, **data)  # type: ignore[arg-type]
                    messages.success(request, _("Changes saved."))
                return redirect(person)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
        return render(request, self.template_name, {"form": form, "object": person}, status=400)


class PersonDeleteView(ScopedMixin, View):
    model = Person

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.get_object()
        self.require("change")
        services.person_delete(actor=request.user, person=person)  # type: ignore[arg-type]
        messages.success(request, _("Person deleted."))
        return redirect("people:person_list")


class PersonExportView(ScopedExportView):
    model = Person
    required_perm = "people.export"
    filterset_class = PersonFilterSet
    rows = staticmethod(export_rows)
    sheet = _lazy("People")
    file_prefix = "people"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "branch")


class PersonPhotoView(ScopedMixin, View):
    """Serves a person's photo to those who may see the person (media is never public)."""

    model = Person

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        person = self.get_object()
        if not person.photo:
            raise Http404
        return FileResponse(person.photo.open("rb"), content_type="image/jpeg" if person.photo.name.lower().endswith(
            (".jpg", ".jpeg")) else "image/png")
