"""Check the audit log's hash chain and its signed heads, and report every row that no longer matches
and every head whose rows are gone (a truncated tail) (STANDARDS E24)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sciplan.core.audit import record_head, verify_chain, verify_heads
from sciplan.core.models import AuditEvent


def _read_heads(path: str) -> list[dict]:
    heads = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        heads.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise CommandError(f"签名头文件第{number}行不是有效的JSON：{exc}") from exc
    except OSError as exc:
        raise CommandError(f"无法读取签名头文件：{exc}") from exc
    return heads


class Command(BaseCommand):
    help = (
        "Verify the audit log hash chain and every recorded head; exit status 1 with the broken rows or "
        "the missing tail. A clean run records a new head."
    )

    def add_arguments(self, parser):
        parser.add_argument("--heads", help="also compare with the heads exported by audit_head --output")

    def handle(self, **options):
        total = AuditEvent.objects.count()
        broken = verify_chain()
        external = _read_heads(options["heads"]) if options.get("heads") else []
        problems = verify_heads(external)
        if broken:
            shown = ", ".join(str(pk) for pk in broken[:50])
            more = f" …（共{len(broken)}条）" if len(broken) > 50 else ""
            self.stderr.write(f"审计日志哈希链校验失败，以下记录被改动或链接断开：{shown}{more}")
        for problem in problems:
            self.stderr.write(f"审计日志签名头校验失败：{problem}")
        if broken or problems:
            raise CommandError(f"broken rows: {len(broken)}, head problems: {len(problems)}")
        record_head()
        self.stdout.write(f"审计日志完整：{total}条记录，哈希链校验通过，签名头一致。")
