from django.urls import path

from sciplan.review.views import bureau, expert, panel, pool

app_name = "review"
urlpatterns = [
    path("dashboard/", bureau.dashboard, name="dashboard"),
    path("applications/", bureau.application_list, name="applications"),
    path("applications/<int:pk>/", bureau.application_detail, name="application"),
    path("applications/<int:pk>/paper/", bureau.paper_receipt, name="paper_receipt"),
    path("applications/<int:pk>/formal/", bureau.formal_review, name="formal_review"),
    path("applications/<int:pk>/visits/", bureau.site_visit, name="site_visit"),
    path("applications/<int:pk>/avoid/", bureau.avoid, name="avoid"),
    path("applications/<int:pk>/draw/", bureau.draw_one, name="draw_one"),
    path("applications/<int:pk>/fill/", bureau.fill_vacancies, name="fill_vacancies"),
    path("applications/<int:pk>/panel/", panel.panel_page, name="panel"),
    path("applications/<int:pk>/panel/replace/", panel.replace_seats, name="replace_seats"),
    path("applications/<int:pk>/scores/<int:score_id>/reopen/", panel.reopen_score, name="reopen_score"),
    path("visit-files/<int:pk>/", bureau.visit_file, name="visit_file"),
    path("intake/", bureau.intake, name="intake"),
    path("draws/", bureau.draws, name="draws"),
    path("draws/<int:pk>/", bureau.draw_detail, name="draw"),
    path("ranking/", bureau.ranking, name="ranking"),
    path("ranking/export/", bureau.ranking_export, name="ranking_export"),
    path("ranking/confirm/", bureau.ranking_confirm, name="ranking_confirm"),
    path("rubric/", bureau.rubric, name="rubric"),
    path("experts/", pool.expert_list, name="experts"),
    path("experts/new/", pool.expert_new, name="expert_new"),
    path("experts/<int:pk>/", pool.expert_edit, name="expert_edit"),
    path("experts/<int:pk>/invite/", pool.expert_invite, name="expert_invite"),
    path("experts/import/", pool.expert_import, name="expert_import"),
    path("experts/template/", pool.expert_template, name="expert_template"),
    path("assignments/", expert.assignments, name="assignments"),
    path("assignments/<int:application_id>/declare/", expert.declare, name="declare"),
    path("assignments/<int:application_id>/score/", expert.score, name="score"),
    path("assignments/<int:application_id>/full/", expert.full_text, name="full_text"),
]
