from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "sciplan.documents"
    label = "documents"
    verbose_name = "文档"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.core import navigation

        navigation.register("数据导出", "documents:exports", roles={Role.BUREAU}, order=85)
        navigation.register("文档核验", "documents:verify", roles=set(Role.values), order=96)
