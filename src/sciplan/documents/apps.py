from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "sciplan.documents"
    label = "documents"
    verbose_name = "文档"
