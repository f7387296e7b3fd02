"""Print the current one-time code of a demo account's authenticator (demo mode only)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "显示演示账号当前的动态验证码（仅限演示模式）。"

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="bureau")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("仅限演示模式。")
        from sciplan.accounts.demo import current_demo_code
        from sciplan.accounts.models import User

        try:
            user = User.objects.get(username=options["username"])
            self.stdout.write(current_demo_code(user))
        except Exception as exc:
            raise CommandError(f"{options['username']} 没有演示验证器：{exc}") from None
