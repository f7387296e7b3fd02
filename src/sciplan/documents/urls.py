from django.urls import path

from sciplan.documents import views
from sciplan.documents.models import DocumentKind

app_name = "documents"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("documents/<int:pk>/", views.application_documents, name="application_documents"),
    path("documents/<int:pk>/draft.pdf", views.draft_preview, name="draft_preview"),
    *[
        path(
            f"documents/<int:pk>/v<int:number>/{kind.replace('_', '.', 1)}",
            views.download_view(kind),
            name=kind,
        )
        for kind in DocumentKind.values
    ],
    path("documents/exports/", views.exports_page, name="exports"),
    path(
        "documents/exports/applications.xlsx", views.export_view("applications"), name="export_applications"
    ),
    path("documents/exports/meeting.xlsx", views.export_view("meeting"), name="export_meeting"),
    path("documents/exports/recognized.xlsx", views.export_view("recognized"), name="export_recognized"),
]
