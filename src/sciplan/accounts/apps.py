from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sciplan.accounts"
    label = "accounts"
    verbose_name = "单位与账号"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from sciplan.accounts.roles import Role
        from sciplan.core import audit
        from sciplan.core.http import client_ip
        from sciplan.core.navigation import register

        def on_login(sender, request, user, **kwargs):
            audit.record("auth.login", actor=user, ip=client_ip(request) if request else None)

        def on_logout(sender, request, user, **kwargs):
            if user is not None:
                audit.record("auth.logout", actor=user, ip=client_ip(request) if request else None)

        def on_failure(sender, credentials, request=None, **kwargs):
            audit.record(
                "auth.login_failed",
                outcome="failed",
                ip=client_ip(request) if request else None,
                detail={"username": str(credentials.get("username", ""))[:150]},
            )

        user_logged_in.connect(on_login, dispatch_uid="sciplan_audit_login")
        user_logged_out.connect(on_logout, dispatch_uid="sciplan_audit_logout")
        user_login_failed.connect(on_failure, dispatch_uid="sciplan_audit_login_failed")
        register("单位注册审核", "accounts:pending_units", roles={Role.RECOMMENDER}, order=20)
        register("本单位账号", "accounts:unit_users", roles={Role.APPLICANT}, order=90)
