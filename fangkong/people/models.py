from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.idcard import MaskedContactMixin
from fangkong.core.scoping import ScopedQuerySet

from .choices import Position, Sex


class Person(MaskedContactMixin, models.Model):
    """A member of staff or a cadre of a unit, with their party membership."""

    name = models.CharField(_("name"), max_length=60)
    name_initials = models.CharField(_("pinyin initials"), max_length=60, db_index=True, editable=False)
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True, db_index=True)
    phone_tail = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="people"
    )
    position = models.CharField(_("position"), max_length=8, choices=Position.choices, default=Position.STAFF)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    is_cadre = models.BooleanField(_("cadre"), default=False)
    is_party_member = models.BooleanField(_("party member"), default=False)
    branch = models.ForeignKey(
        "orgs.Unit", verbose_name=_("party branch"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="members",
    )
    photo = models.ImageField(_("photo"), upload_to="photos/%Y/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit", "branch")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ("name_initials", "id")
        indexes = [
            models.Index(fields=["unit", "name_initials", "id"], name="person_unit_order"),
            models.Index(fields=["name_initials", "id"], name="person_order"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:person_detail", args=[self.pk])
