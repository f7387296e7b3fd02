from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "sciplan.recommendations"
    label = "recommendations"
    verbose_name = "推荐"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.core import navigation

        # Registers the "credit_checked" guard and the recommend / finance action handlers.
        from sciplan.recommendations import services  # noqa: F401

        navigation.register(
            "推荐工作台", "recommendations:worklist", roles={Role.RECOMMENDER, Role.FINANCE}, order=10
        )
        navigation.register(
            "推荐函", "recommendations:letter", roles={Role.RECOMMENDER, Role.FINANCE}, order=20
        )
        navigation.register("截止时间延期", "calls:extensions", roles={Role.BUREAU}, order=80)
