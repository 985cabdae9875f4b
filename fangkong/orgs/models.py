from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.scoping import ScopedQuerySet

from .choices import GroupKind, MemberRole, UnitKind


class Unit(models.Model):
    """A node of the organisation tree: the committee, a department, a party organisation,
    a coordinating body or industry unit, a street, community or checkpoint."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=UnitKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("level"), default=0, editable=False)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    liaison = models.ForeignKey(
        "people.Person", verbose_name=_("designated liaison"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="liaison_for",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("id",)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(opened_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="unit_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:unit_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class UnitLink(models.Model):
    """Closure table of the tree: one row per (ancestor, descendant) pair, self included at depth 0.
    "Everything under X" is ``descendant_id IN (SELECT descendant_id WHERE ancestor_id = X)``."""

    ancestor = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="descendant_links")
    descendant = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ancestor_links")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("unit link")
        constraints = [models.UniqueConstraint(fields=["ancestor", "descendant"], name="unitlink_unique")]
        indexes = [models.Index(fields=["descendant", "depth"], name="unitlink_desc_depth")]

    def __str__(self) -> str:
        return f"{self.ancestor_id}>{self.descendant_id}"


class Pairing(models.Model):
    """包保: a department paired with a community, taking that community's orders."""

    department = models.ForeignKey(
        Unit, verbose_name=_("department"), on_delete=models.CASCADE, related_name="pairings"
    )
    community = models.ForeignKey(
        Unit, verbose_name=_("community"), on_delete=models.CASCADE, related_name="paired_departments"
    )
    since = models.DateField(_("since"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("department", "community")
    scope_perm_label = "orgs"

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        constraints = [models.UniqueConstraint(fields=["department", "community"], name="pairing_unique")]

    def __str__(self) -> str:
        return f"{self.department} ⇄ {self.community}"


class WorkingGroup(models.Model):
    """The leading group (领导小组) or a special working group (综合协调组, 物资筹备组, …)."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=GroupKind.choices)
    duties = models.TextField(_("duties"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "orgs"

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        ordering = ("kind", "id")

    def __str__(self) -> str:
        return self.name

    @property
    def leader(self) -> Any:
        member = self.members.filter(role=MemberRole.LEADER).select_related("person").first()
        return member.person if member else None


class GroupMember(models.Model):
    """A member of a working group and the named items they own (分项负责)."""

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    items = models.CharField(_("items owned"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ("group", "role", "id")
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="groupmember_unique")]

    def __str__(self) -> str:
        return f"{self.group}: {self.person}"
