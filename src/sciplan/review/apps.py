from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "sciplan.review"
    label = "review"
    verbose_name = "评审"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.accounts.user_admin import register_binding
        from sciplan.applications.permissions import register_scope
        from sciplan.core.navigation import register
        from sciplan.review import invitations, panels, scoring, services  # noqa: F401  (guards, handlers)

        register_scope(Role.EXPERT, panels.expert_scope)
        register_binding(Role.EXPERT, invitations.EXPERT_BINDING)  # an expert account ↔ its pool record
        bureau = {Role.BUREAU}
        register("工作台", "review:dashboard", roles={Role.BUREAU, Role.ADMIN}, order=5)
        register("申报书", "review:applications", roles=bureau, order=20)
        register("受理登记", "review:intake", roles=bureau, order=25)
        register("专家库", "review:experts", roles=bureau, order=30)
        register("专家抽取", "review:draws", roles={Role.BUREAU, Role.AUDITOR}, order=33)
        register("评审排名", "review:ranking", roles=bureau, order=35)
        register("评审任务", "review:assignments", roles={Role.EXPERT}, order=10)
