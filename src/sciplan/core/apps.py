from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sciplan.core"
    label = "core"
    verbose_name = "基础"
