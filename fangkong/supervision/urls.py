from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("board/export/", views.BoardExportView.as_view(), name="board_export"),
    path("feedback/", views.FeedbackView.as_view(), name="feedback"),
    path("ledger/", views.FeedbackListView.as_view(), name="feedback_list"),
    path("problems/", views.ProblemListView.as_view(), name="problem_list"),
    path("problems/new/", views.ProblemCreateView.as_view(), name="problem_create"),
    path("problems/<int:pk>/", views.ProblemDetailView.as_view(), name="problem_detail"),
    path("evidence/<int:pk>/", views.EvidenceView.as_view(), name="evidence"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("referrals/", views.ReferralListView.as_view(), name="referral_list"),
    path("referrals/<int:pk>/letter/", views.ReferralLetterView.as_view(), name="referral_letter"),
    path("requests/", views.RequestListView.as_view(), name="request_list"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request_detail"),
    path("bulletin-lists/", views.BulletinImportView.as_view(), name="bulletin_import"),
    path("bulletins/", views.BulletinListView.as_view(), name="bulletin_list"),
    path("bulletins/<int:pk>/", views.BulletinDetailView.as_view(), name="bulletin_detail"),
]
