from django.urls import path

from sciplan.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.create, name="create"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("files/<int:attachment_pk>/download/", views.download, name="download"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/section/<slug:code>/", views.section, name="section"),
    path("<int:pk>/platforms/", views.platforms, name="platforms"),
    path("<int:pk>/platforms/<int:platform_pk>/", views.platform_edit, name="platform_edit"),
    path("<int:pk>/platforms/<int:platform_pk>/delete/", views.platform_delete, name="platform_delete"),
    path("<int:pk>/members/", views.members, name="members"),
    path("<int:pk>/members/<int:member_pk>/", views.member_edit, name="member_edit"),
    path("<int:pk>/members/<int:member_pk>/link/", views.member_link, name="member_link"),
    path("<int:pk>/members/<int:member_pk>/delete/", views.member_delete, name="member_delete"),
    path("<int:pk>/attachments/", views.attachments, name="attachments"),
    path("<int:pk>/attachments/upload/", views.upload, name="upload"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/", views.attachment_delete, name="attachment_delete"
    ),
    path("<int:pk>/eligibility/", views.eligibility_page, name="eligibility"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/versions/<int:number>/", views.version_view, name="version"),
    path("<int:pk>/versions/<int:number>/receipt/", views.receipt, name="receipt"),
]
