from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sciplan.accounts"
    label = "accounts"
    verbose_name = "单位与账号"

    def ready(self) -> None:
        from sciplan.accounts import signals
        from sciplan.accounts.roles import Role
        from sciplan.core.navigation import register

        signals.connect()
        register("单位注册审核", "accounts:pending_units", roles={Role.RECOMMENDER}, order=20)
        register("本单位账号", "accounts:unit_users", roles={Role.APPLICANT}, order=90)
        register("账号管理", "accounts:user_list", roles={Role.ADMIN}, order=10)
        register("信用代码豁免", "accounts:uscc_overrides", roles={Role.BUREAU}, order=88)
        register("审计日志", "accounts:audit_log", roles={Role.BUREAU, Role.AUDITOR}, order=95)
