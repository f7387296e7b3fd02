from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "sciplan.applications"
    label = "applications"
    verbose_name = "申报书"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.applications import actions, eligibility  # noqa: F401  (register guards and handlers)
        from sciplan.applications.models import AttachmentKind
        from sciplan.applications.services import ALLOWED_TYPES
        from sciplan.calls.rules import register_attachment_kinds
        from sciplan.core.navigation import register

        register("我的申报", "applications:list", roles={Role.APPLICANT}, order=10)
        register_attachment_kinds(dict(AttachmentKind.choices), dict(ALLOWED_TYPES))
