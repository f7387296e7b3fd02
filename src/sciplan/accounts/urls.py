from django.urls import path

from sciplan.accounts import admin_views, security_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SciplanLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.SciplanPasswordChangeView.as_view(), name="password_change"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("units/pending/", views.pending_units, name="pending_units"),
    path("units/<int:pk>/", views.unit_review, name="unit_review"),
    path("units/<int:pk>/licence/", views.unit_licence, name="unit_licence"),
    path("units/<int:pk>/review/", views.review_unit, name="review_unit"),
    path("unit/users/", views.unit_users, name="unit_users"),
    path("uscc-overrides/", views.uscc_overrides, name="uscc_overrides"),
    path("otp/setup/", security_views.otp_setup, name="otp_setup"),
    path("otp/verify/", security_views.otp_verify, name="otp_verify"),
    path("audit/", security_views.audit_log, name="audit_log"),
    path("audit/export/", security_views.audit_export, name="audit_export"),
    path("unmask/", security_views.unmask, name="unmask"),
    path("users/", admin_views.user_list, name="user_list"),
    path("users/new/", admin_views.user_new, name="user_new"),
    path("users/unlock/", admin_views.unlock_address, name="unlock"),
    path("users/<int:pk>/", admin_views.user_edit, name="user_edit"),
    path("users/<int:pk>/keys/", admin_views.api_keys, name="api_keys"),
    path("users/<int:pk>/keys/<int:key_pk>/revoke/", admin_views.api_key_revoke, name="api_key_revoke"),
    path("users/<int:pk>/<slug:action>/", admin_views.user_action, name="user_action"),
    path("set-password/<uidb64>/<token>/", admin_views.SetPasswordView.as_view(), name="set_password"),
]
