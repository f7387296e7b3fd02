from django.urls import path, re_path
from django.views.generic import RedirectView

from sciplan.recommendations import views

app_name = "recommendations"
urlpatterns = [
    # The work list has its own segment so the menu does not mark it current on the letter page too.
    path("", RedirectView.as_view(pattern_name="recommendations:worklist", query_string=True)),
    path("worklist/", views.worklist, name="worklist"),
    path("applications/<int:pk>/", views.detail, name="detail"),
    path("applications/<int:pk>/act/<str:action>/", views.act, name="act"),
    path("applications/<int:pk>/credit/", views.credit, name="credit"),
    path("applications/<int:pk>/rank/", views.rank, name="rank"),
    path("letter/", views.letter, name="letter"),
    path("letters/<int:pk>/download/", views.letter_download, name="letter_download"),
    re_path(r"^calls/(?P<call_id>\d+)/summary\.(?P<fmt>xlsx|docx)$", views.summary, name="summary"),
]
