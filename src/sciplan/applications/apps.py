from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "sciplan.applications"
    label = "applications"
    verbose_name = "申报书"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.applications import eligibility  # noqa: F401  (registers the submit guards)
        from sciplan.core.navigation import register

        register("我的申报", "applications:list", roles={Role.APPLICANT}, order=10)
