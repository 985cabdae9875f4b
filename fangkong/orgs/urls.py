from django.urls import path

from . import golive_views, views

app_name = "orgs"
urlpatterns = [
    path("", views.UnitTreeView.as_view(), name="unit_tree"),
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/new/", views.UnitEditView.as_view(), name="unit_create"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/children/", views.UnitChildrenView.as_view(), name="unit_children"),
    path("units/<int:pk>/edit/", views.UnitEditView.as_view(), name="unit_update"),
    path("units/<int:pk>/delete/", views.UnitDeleteView.as_view(), name="unit_delete"),
    path("import/", golive_views.TreeImportView.as_view(), name="tree_import"),
    path("export/", golive_views.TreeExportView.as_view(), name="tree_export"),
    path("groups/", views.GroupListView.as_view(), name="group_list"),
]
