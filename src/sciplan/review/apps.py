from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "sciplan.review"
    label = "review"
    verbose_name = "评审"
