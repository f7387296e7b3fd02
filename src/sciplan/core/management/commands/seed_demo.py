"""Load the demo data: dictionaries, the 2024 call, a practice call open now, personas for every role,
and applications in every stage. Each app contributes through its own ``demo.load(context)``, in the
order of the procedure (DEMO_ORDER). Refuses to run when demo mode is off, so production never gets demo accounts."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_ORDER = ["calls", "accounts", "applications", "recommendations", "review", "recognition", "documents"]


class Command(BaseCommand):
    help = "加载演示数据（仅限演示模式）。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="只在数据库中还没有批次时加载")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("演示数据只能在演示模式（SCIPLAN_DEMO=1）下加载。")
        from sciplan.calls.models import Call

        if options["if_empty"] and Call.objects.exists():
            self.stdout.write("已有数据，跳过演示数据加载。")
            return
        # Demo notifications are stored in-app; no one should be e-mailed while seeding.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        context: dict = {}
        with transaction.atomic():
            for label in DEMO_ORDER:
                config = apps.get_app_config(label)
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name == f"{config.name}.demo":
                        continue
                    raise
                module.load(context)
                self.stdout.write(f"  {config.verbose_name}：演示数据已加载")
        self.stdout.write(self.style.SUCCESS("演示数据加载完成。"))
