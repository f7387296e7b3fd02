from django.urls import path

from sciplan.recognition import views, views_bureau

app_name = "recognition"
urlpatterns = [
    # Public pages: no login, no personal data.
    path("gongshi/", views.notice_list, name="notices"),
    path("gongshi/<int:pk>/", views.notice_detail, name="notice"),
    path("gongshi/<int:pk>/objection/", views.objection_new, name="objection_new"),
    path("gongshi/<int:pk>/objection/done/", views.objection_done, name="objection_done"),
    path("gongshi/objection/status/", views.objection_lookup, name="objection_lookup"),
    path("recognized/", views.register, name="register"),
    path("recognized/<int:pk>/", views.register_detail, name="register_detail"),
    # The recognised consortium's own pages.
    path("recognition/mine/", views.mine, name="mine"),
    path("recognition/mine/<int:pk>/assessment/", views.assessment_new, name="assessment_new"),
    path("recognition/recognitions/<int:pk>/letter.pdf", views.letter_pdf, name="letter"),
    # The bureau.
    path("recognition/calls/", views_bureau.home, name="bureau"),
    path("recognition/calls/<int:pk>/", views_bureau.call_page, name="call"),
    path("recognition/calls/<int:pk>/propose/", views_bureau.propose, name="propose"),
    path("recognition/calls/<int:pk>/publish/", views_bureau.publish, name="publish"),
    path("recognition/decisions/<int:pk>/minutes/", views_bureau.minutes_file, name="minutes_file"),
    path("recognition/objections/<int:pk>/", views_bureau.objection, name="objection"),
    path("recognition/applications/<int:pk>/recognize/", views_bureau.recognize, name="recognize"),
    path("recognition/applications/<int:pk>/decline/", views_bureau.decline, name="decline"),
    path("recognition/recognitions/<int:pk>/revoke/", views_bureau.revoke, name="revoke"),
    path("recognition/calendar/", views_bureau.calendar_page, name="calendar"),
    path("recognition/assessments/", views_bureau.assessments, name="assessments"),
    path("recognition/assessments/<int:pk>/", views_bureau.assessment, name="assessment"),
    path("recognition/assessments/files/<int:pk>/", views_bureau.assessment_file, name="assessment_file"),
]
