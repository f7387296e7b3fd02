"""Create the first system administrator of a fresh installation (run once)."""

from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from sciplan.accounts import user_admin
from sciplan.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "创建首个系统管理员（全新安装时运行一次）。密码交互输入，或由环境变量 SCIPLAN_ADMIN_PASSWORD 提供。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--no-input", action="store_true", help="不提问：密码取自 SCIPLAN_ADMIN_PASSWORD")

    def handle(self, *args, username=None, email=None, no_input=False, **options):
        if not no_input:
            username = username or input("登录名: ").strip()
            email = email or input("电子邮箱: ").strip()
        password = os.environ.get("SCIPLAN_ADMIN_PASSWORD", "")
        if not password:
            if no_input:
                raise CommandError("非交互模式须设置环境变量 SCIPLAN_ADMIN_PASSWORD。")
            password = getpass.getpass("密码: ")
            if password != getpass.getpass("再次输入密码: "):
                raise CommandError("两次输入的密码不一致。")
        try:
            user = user_admin.create_first_admin(
                username=username or "", email=email or "", password=password
            )
        except DomainError as exc:
            details = "；".join(exc.field_errors.values()) if exc.field_errors else ""
            raise CommandError(f"{exc.message}{details}") from None
        self.stdout.write(
            self.style.SUCCESS(f"已创建系统管理员 {user.username}。首次登录时须绑定身份验证器。")
        )
