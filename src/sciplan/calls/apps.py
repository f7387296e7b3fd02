from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "sciplan.calls"
    label = "calls"
    verbose_name = "申报批次"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.core import navigation

        navigation.register("数据字典", "calls:dictionaries", roles={Role.ADMIN}, order=20)
        navigation.register("批次设置", "calls:manage_list", roles={Role.BUREAU}, order=15)
