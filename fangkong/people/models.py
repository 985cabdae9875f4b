from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.fieldcrypt import DigestField, SealedField
from fangkong.core.idcard import SealedIdentity
from fangkong.core.scoping import ScopedQuerySet

from .choices import Position, Sex


class Person(SealedIdentity, models.Model):
    """A member of staff or a cadre of a unit, with their party membership.

    The ID number and phone are stored sealed, with a keyed digest and a mask
    (``core.idcard.SealedIdentity``): ``person.id_number`` opens the seal."""

    name = models.CharField(_("name"), max_length=60)
    name_initials = models.CharField(_("pinyin initials"), max_length=60, db_index=True, editable=False)
    id_cipher = SealedField(_("ID number (sealed)"))
    id_digest = DigestField(_("ID number digest"))
    id_masked = models.CharField(_("ID number (masked)"), max_length=18, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), editable=False)
    phone_cipher = SealedField(_("mobile phone (sealed)"))
    phone_digest = DigestField(_("mobile phone digest"))
    phone_masked = models.CharField(_("mobile phone (masked)"), max_length=11, blank=True, editable=False)
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
        # Constraints and indexes rather than unique=True and db_index=True: PostgreSQL then gets no
        # extra LIKE index on the digests, which are only ever compared whole.
        constraints = [models.UniqueConstraint(fields=["id_digest"], name="person_id_number_unique")]
        indexes = [
            models.Index(fields=["unit", "name_initials", "id"], name="person_unit_order"),
            models.Index(fields=["name_initials", "id"], name="person_order"),
            models.Index(fields=["phone_digest"], name="person_phone_digest"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:person_detail", args=[self.pk])


class PersonMove(models.Model):
    """A person's move from one unit to another, dated on the business clock: written by an edit
    that changes the unit and by the people import, so a unit's history keeps who belonged when."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="moves")
    from_unit = models.ForeignKey("orgs.Unit", verbose_name=_("from unit"), on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("orgs.Unit", verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="+")
    moved_on = models.DateField(_("moved on"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("from_unit", "to_unit")
    scope_perm_label = "people"

    class Meta:
        verbose_name = _("move between units")
        verbose_name_plural = _("moves between units")
        ordering = ("moved_on", "id")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_unit_id} → {self.to_unit_id} ({self.moved_on})"
