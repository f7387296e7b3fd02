from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sciplan.api"
    label = "api"
    verbose_name = "接口"

    def ready(self) -> None:
        from sciplan.api import signals

        signals.connect()
