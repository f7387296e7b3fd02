from django.urls import include, path

from sciplan.calls import dictionary_views, extension_views, setup_views, views

app_name = "calls"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("<int:pk>/", views.call_detail, name="detail"),
    path("extensions/", extension_views.extensions, name="extensions"),
    path("dictionaries/", include(dictionary_views.urls)),
    path("manage/", setup_views.manage_list, name="manage_list"),
    path("manage/new/", setup_views.manage_new, name="manage_new"),
    path("manage/<int:pk>/", setup_views.manage_edit, name="manage_edit"),
    path("manage/<int:pk>/copy/", setup_views.manage_copy, name="manage_copy"),
    path("manage/<int:pk>/preview/", setup_views.manage_preview, name="manage_preview"),
    path("manage/<int:pk>/<slug:action>/", setup_views.manage_transition, name="manage_transition"),
]
