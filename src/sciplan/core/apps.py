from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sciplan.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.core import navigation, notifications, schedule

        notifications.register()
        schedule.register()
        navigation.register("失败通知", "core:failed_tasks", roles={Role.BUREAU, Role.ADMIN}, order=88)
