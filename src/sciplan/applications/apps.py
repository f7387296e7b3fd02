from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "sciplan.applications"
    label = "applications"
    verbose_name = "申报书"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.applications import actions, eligibility  # noqa: F401  (register guards and handlers)
        from sciplan.core.navigation import register

        register("我的申报", "applications:list", roles={Role.APPLICANT}, order=10)
