from django.urls import path

from sciplan.calls import extension_views, views

app_name = "calls"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("<int:pk>/", views.call_detail, name="detail"),
    path("extensions/", extension_views.extensions, name="extensions"),
]
