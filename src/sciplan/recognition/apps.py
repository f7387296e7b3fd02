from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "sciplan.recognition"
    label = "recognition"
    verbose_name = "认定与公示"
