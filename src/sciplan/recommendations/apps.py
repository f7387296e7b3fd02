from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "sciplan.recommendations"
    label = "recommendations"
    verbose_name = "推荐"
