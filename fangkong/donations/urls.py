from django.urls import path

from . import views

app_name = "donations"
urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("donors/", views.DonorListView.as_view(), name="donor_list"),
    path("donors/export/", views.DonorExportView.as_view(), name="donor_export"),
    path("donors/new/", views.DonorCreateView.as_view(), name="donor_create"),
    path("donors/<int:pk>/", views.DonorDetailView.as_view(), name="donor_detail"),
    path("pledges/", views.PledgeListView.as_view(), name="pledge_list"),
    path("pledges/export/", views.PledgeExportView.as_view(), name="pledge_export"),
    path("pledges/new/", views.PledgeCreateView.as_view(), name="pledge_create"),
    path("leads/", views.LeadListView.as_view(), name="lead_list"),
    path("leads/export/", views.LeadExportView.as_view(), name="lead_export"),
    path("leads/new/", views.LeadCreateView.as_view(), name="lead_create"),
    path("intake/", views.IntakeListView.as_view(), name="intake_list"),
    path("intake/export/", views.IntakeExportView.as_view(), name="intake_export"),
    path("intake/new/", views.IntakeCreateView.as_view(), name="intake_create"),
    path("intake/<int:pk>/", views.IntakeDetailView.as_view(), name="intake_detail"),
    path("needs/", views.NeedListView.as_view(), name="need_list"),
    path("needs/export/", views.NeedExportView.as_view(), name="need_export"),
    path("needs/new/", views.NeedCreateView.as_view(), name="need_create"),
    path("needs/<int:pk>/", views.NeedDetailView.as_view(), name="need_detail"),
    path("distributions/", views.DistributionListView.as_view(), name="distribution_list"),
    path("distributions/export/", views.DistributionExportView.as_view(), name="distribution_export"),
    path("distributions/new/", views.DistributionCreateView.as_view(), name="distribution_create"),
    path("distributions/<int:pk>/", views.DistributionDetailView.as_view(), name="distribution_detail"),
    path("donors/<int:pk>/certificate/", views.CertificateView.as_view(), name="certificate"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("stock/<int:store>/<int:item>/", views.StockCardView.as_view(), name="stock_card"),
    path("stock/<int:store>/<int:item>/export/", views.StockCardExportView.as_view(), name="stock_card_export"),
    path("sign/<str:token>/", views.SignByLinkView.as_view(), name="sign_link"),
]
