from django.urls import path

from sciplan.core import task_views, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("notifications/", views.notifications, name="notifications"),
    path("tasks/failed/", task_views.failed_tasks, name="failed_tasks"),
    path("tasks/<int:pk>/retry/", task_views.retry_task, name="retry_task"),
]
