from django.urls import path

from . import bulk_views, token_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("otp/", views.otp_view, name="otp"),
    path("password/", views.password_change_view, name="password_change"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/import/", bulk_views.AccountsImportView.as_view(), name="accounts_import"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("users/<int:pk>/grant/", views.UserGrantView.as_view(), name="user_grant"),
    path("users/<int:pk>/unlock/", views.UserUnlockView.as_view(), name="user_unlock"),
    path("users/<int:pk>/active/", views.UserActiveView.as_view(), name="user_active"),
    path("users/<int:pk>/tokens/revoke/", token_views.UserTokensRevokeView.as_view(), name="user_tokens_revoke"),
    path("tokens/", token_views.TokenListView.as_view(), name="token_list"),
    path("tokens/all/", token_views.TokenAdminListView.as_view(), name="token_admin"),
    path("tokens/<int:pk>/revoke/", token_views.TokenRevokeView.as_view(), name="token_revoke"),
]
