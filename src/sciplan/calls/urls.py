from django.urls import include, path

from sciplan.calls import dictionary_views, extension_views, views

app_name = "calls"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("<int:pk>/", views.call_detail, name="detail"),
    path("extensions/", extension_views.extensions, name="extensions"),
    path("dictionaries/", include(dictionary_views.urls)),
]
