"""The URL map. Each domain app owns its own ``urls.py``; the JSON API lives under /api/v1/."""

from django.urls import include, path

from sciplan.api.urls import api

urlpatterns = [
    path("", include("sciplan.core.urls")),
    path("accounts/", include("sciplan.accounts.urls")),
    path("calls/", include("sciplan.calls.urls")),
    path("applications/", include("sciplan.applications.urls")),
    path("recommend/", include("sciplan.recommendations.urls")),
    path("review/", include("sciplan.review.urls")),
    path("", include("sciplan.recognition.urls")),
    path("", include("sciplan.documents.urls")),
    path("api/v1/", api.urls),
]

handler400 = "sciplan.core.views.bad_request"
handler403 = "sciplan.core.views.permission_denied"
handler404 = "sciplan.core.views.page_not_found"
handler500 = "sciplan.core.views.server_error"
