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
            import time

            from sciplan.accounts.services import password_expired

            audit.record("auth.login", actor=user, ip=client_ip(request) if request else None)
            session = getattr(request, "session", None)
            if session is not None:
                # The absolute session limit counts from here (core.middleware.SessionTimeoutMiddleware).
                session["auth_at"] = session["last_seen"] = int(time.time())
                if password_expired(user):
                    session["password_expired"] = True

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

        def on_locked(sender, request=None, username=None, ip_address=None, **kwargs):
            audit.record(
                "auth.locked",
                outcome="refused",
                ip=ip_address or (client_ip(request) if request else None),
                detail={"username": str(username or "")[:150]},
            )

        from axes.signals import user_locked_out

        user_locked_out.connect(on_locked, dispatch_uid="sciplan_audit_locked")
        user_logged_in.connect(on_login, dispatch_uid="sciplan_audit_login")
        user_logged_out.connect(on_logout, dispatch_uid="sciplan_audit_logout")
        user_login_failed.connect(on_failure, dispatch_uid="sciplan_audit_login_failed")
        register("单位注册审核", "accounts:pending_units", roles={Role.RECOMMENDER}, order=20)
        register("本单位账号", "accounts:unit_users", roles={Role.APPLICANT}, order=90)
        register("账号管理", "accounts:user_list", roles={Role.ADMIN}, order=10)
        register("审计日志", "accounts:audit_log", roles={Role.BUREAU, Role.AUDITOR}, order=95)
        register("两步验证", "accounts:otp_setup", roles=set(Role.values), order=99)
