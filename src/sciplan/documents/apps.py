from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "sciplan.documents"
    label = "documents"
    verbose_name = "文档"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.applications.services import register_after_submit
        from sciplan.core import navigation
        from sciplan.documents import services

        services.register()
        register_after_submit(services.queue_documents)
        navigation.register("数据导出", "documents:exports", roles={Role.BUREAU}, order=85)
        navigation.register("文档核验", "documents:verify", roles=set(Role.values), order=96)
