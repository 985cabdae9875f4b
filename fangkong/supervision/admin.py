from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import (
    Bulletin,
    BulletinImport,
    Coverage,
    ExplanationAnswer,
    ExplanationRequest,
    Feedback,
    Investigation,
    Problem,
    Referral,
)


@admin.register(Coverage)
class CoverageAdmin(ScopedAdmin):
    list_display = ("group", "community", "starts_on", "ends_on")
    list_select_related = ("group", "community")


@admin.register(Feedback)
class FeedbackAdmin(ScopedAdmin):
    list_display = ("day", "community", "department", "obeys", "publicity", "screening", "testing", "revision",
                    "is_current")
    list_filter = ("is_current",)
    list_select_related = ("community", "department")


@admin.register(Problem)
class ProblemAdmin(ScopedAdmin):
    list_display = ("number", "source", "unit", "classification", "found_on", "deadline", "status")
    list_select_related = ("unit", "classification")


@admin.register(Investigation)
class InvestigationAdmin(ScopedAdmin):
    list_display = ("number", "title", "unit", "leader", "deadline", "status", "conclusion")
    list_select_related = ("unit", "leader")


@admin.register(ExplanationRequest)
class ExplanationRequestAdmin(ScopedAdmin):
    list_display = ("case", "unit", "requested_on", "deadline")
    list_select_related = ("case", "unit")


@admin.register(ExplanationAnswer)
class ExplanationAnswerAdmin(ScopedAdmin):
    list_display = ("request", "answered_on")


@admin.register(Referral)
class ReferralAdmin(ScopedAdmin):
    list_display = ("case", "body", "referred_on", "letter_no", "outcome", "outcome_on")
    list_select_related = ("case", "body", "outcome")


@admin.register(BulletinImport)
class BulletinImportAdmin(ScopedAdmin):
    list_display = ("title", "number", "issued_on", "status", "total_rows")
    exclude = ("errors",)


@admin.register(Bulletin)
class BulletinAdmin(ScopedAdmin):
    list_display = ("number", "period_from", "period_to", "issued_on")
