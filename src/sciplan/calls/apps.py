from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "sciplan.calls"
    label = "calls"
    verbose_name = "申报批次"
