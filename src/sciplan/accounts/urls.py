from django.urls import path

from sciplan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SciplanLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.SciplanPasswordChangeView.as_view(), name="password_change"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("units/pending/", views.pending_units, name="pending_units"),
    path("units/<int:pk>/review/", views.review_unit, name="review_unit"),
    path("unit/users/", views.unit_users, name="unit_users"),
]
