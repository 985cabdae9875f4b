from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.scoping import ScopedQuerySet, user_has_perm

from .choices import ChecklistKind, DeedStatus, MaterialKind, PushKind, ShareKind

HTTP_URL = URLValidator(schemes=["http", "https"], message=_("Give a link starting with http:// or https://."))


class ReferenceQuerySet(models.QuerySet[Any]):
    """Reference data every role of the publicity line sees whole (outlets, pledge texts)."""

    def visible_to(self, user: Any) -> "ReferenceQuerySet":
        return self if user_has_perm(user, "publicity.view") else self.none()

    def editable_by(self, user: Any) -> "ReferenceQuerySet":
        return self if user_has_perm(user, "publicity.review") else self.none()


class Outlet(models.Model):
    """A medium the committee pushes reports to (省直机关工委、白山发布、白山机关党建 …): data."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(pgettext_lazy("ordering", "position"), default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("media outlet")
        verbose_name_plural = _("media outlets")
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    """A piece of publicity (倡议书、横幅、广播录音、温馨提示、顺口溜、电子屏) in the library, with who issued it."""

    unit = models.ForeignKey("orgs.Unit", verbose_name=pgettext_lazy("publicity material", "issued by"), on_delete=models.PROTECT,
                             related_name="materials")
    kind = models.CharField(_("kind"), max_length=10, choices=MaterialKind.choices)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=5000, blank=True)
    file = models.FileField(_("file"), upload_to="publicity/%Y/", blank=True)
    issued_on = models.DateField(_("issued on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("publicity material")
        verbose_name_plural = _("publicity materials")
        ordering = ("-issued_on", "-id")

    def __str__(self) -> str:
        return self.title


class MediaPush(models.Model):
    """A report pushed to a media outlet (宣传报道): the unit, the outlet, what and when, the link."""

    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="media_pushes")
    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="pushes")
    kind = models.CharField(_("kind"), max_length=10, choices=PushKind.choices, default=PushKind.NEWS)
    title = models.CharField(_("title"), max_length=200)
    pushed_on = models.DateField(_("pushed on"))
    link = models.URLField(_("link"), max_length=500, blank=True, validators=[HTTP_URL])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("media push")
        verbose_name_plural = _("media pushes")
        ordering = ("-pushed_on", "-id")
        indexes = [models.Index(fields=["unit", "pushed_on"], name="push_unit_day")]

    def __str__(self) -> str:
        return self.title


class OfficialForward(models.Model):
    """Official epidemic messages forwarded (转发权威信息), as reported by a branch: for one member
    or for the branch as a whole, on a day, how many."""

    unit = models.ForeignKey("orgs.Unit", verbose_name=_("branch or unit"), on_delete=models.PROTECT,
                             related_name="official_forwards")
    person = models.ForeignKey("people.Person", verbose_name=_("member"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="official_forwards")
    message = models.CharField(_("message forwarded"), max_length=200)
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("forwards"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("official forward")
        verbose_name_plural = _("official forwards")
        ordering = ("-day", "-id")
        constraints = [models.CheckConstraint(condition=models.Q(count__gte=1), name="forward_count_positive")]

    def __str__(self) -> str:
        return self.message


class Pledge(models.Model):
    """A pledge text party members sign (the relay pledge, 接力承诺, with the four take-the-leads)."""

    slug = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), max_length=5000)
    items = models.JSONField(_("commitments"), default=list, blank=True)
    opens_on = models.DateField(_("opens on"))
    is_active = models.BooleanField(_("open for signing"), default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ("-opens_on", "id")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("publicity:pledge_detail", args=[self.pk])


class PledgeSignature(models.Model):
    """A party member's signature of a pledge (once), with their personal share code: the link
    ``/p/<code>/`` whose opens and onward shares are counted (``ShareCount``)."""

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="signatures")
    person = models.ForeignKey("people.Person", verbose_name=_("party member"), on_delete=models.PROTECT,
                               related_name="pledge_signatures")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey("orgs.Unit", verbose_name=_("party branch"), on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"))
    share_code = models.CharField(_("share code"), max_length=16, unique=True, editable=False)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit", "branch")

    class Meta:
        verbose_name = _("pledge signature")
        verbose_name_plural = _("pledge signatures")
        ordering = ("-signed_at", "-id")
        constraints = [models.UniqueConstraint(fields=["pledge", "person"], name="pledge_signed_once")]
        indexes = [models.Index(fields=["pledge", "unit"], name="signature_pledge_unit")]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.pledge_id}"


class ShareCount(models.Model):
    """One counted open (or onward share) of a member's share link: at most one per browser, link,
    kind and day. ``visitor`` is SHA-256 of (the secret key, the browser's first-party cookie, the
    day), cut to 32 hex digits: it cannot be followed from one day to the next or back to the
    browser. ``count`` is 1 for a counted event; an aggregated row (the demo's) carries more."""

    signature = models.ForeignKey(PledgeSignature, on_delete=models.CASCADE, related_name="shares")
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=ShareKind.choices)
    day = models.DateField(_("day"))
    visitor = models.CharField(max_length=32)
    count = models.PositiveIntegerField(_("count"), default=1)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "publicity"

    class Meta:
        verbose_name = _("counted share")
        verbose_name_plural = _("counted shares")
        ordering = ("-day", "-id")
        constraints = [models.UniqueConstraint(fields=["signature", "kind", "day", "visitor"], name="share_once_a_day")]
        indexes = [models.Index(fields=["pledge", "kind", "day"], name="share_pledge_kind_day")]

    def __str__(self) -> str:
        return f"{self.signature_id} {self.kind} {self.day}"


class ModelDeed(models.Model):
    """先进典型: a member nominated by their branch with the story (and a photo), reviewed by the
    committee, then published on the public page with name, unit and story only."""

    branch = models.ForeignKey("orgs.Unit", verbose_name=_("nominating branch"), on_delete=models.PROTECT,
                               related_name="model_deeds")
    person = models.ForeignKey("people.Person", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="model_deeds")
    unit_name = models.CharField(_("unit"), max_length=100, editable=False)
    title = models.CharField(_("title"), max_length=120)
    story = models.TextField(_("story"), max_length=5000)
    photo = models.ImageField(_("photo"), upload_to="deeds/%Y/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeedStatus.choices, default=DeedStatus.NOMINATED)
    nominated_at = models.DateTimeField(_("nominated at"))
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("branch",)

    class Meta:
        verbose_name = _("model deed")
        verbose_name_plural = _("model deeds")
        ordering = ("-nominated_at", "-id")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("publicity:deed_detail", args=[self.pk])


class ChecklistEntry(models.Model):
    """One member's checklist (六到位 or 四带头) as their branch filled it: the items ticked."""

    branch = models.ForeignKey("orgs.Unit", verbose_name=_("party branch"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="checklists")
    kind = models.CharField(_("checklist"), max_length=4, choices=ChecklistKind.choices)
    items = models.JSONField(_("items in place"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("branch",)

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ("branch_id", "person_id", "kind")
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="checklist_one_per_member")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


class ScoreFormula(models.Model):
    """The comparison (比): a formula over the registered measurable items (``comparison.ITEMS``),
    e.g. ``40*report_timeliness + 30*dual_report_rate + 20*pledge_rate + media_pushes``. A formula
    naming an item that is not registered is refused when saved."""

    name = models.CharField(_("name"), max_length=60)
    expression = models.CharField(_("formula"), max_length=500)
    since = models.DateField(_("from"))
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("score formula")
        verbose_name_plural = _("score formulas")
        ordering = ("-is_active", "-created_at", "-id")

    def __str__(self) -> str:
        return self.name
