"""Time to generate the documents of an application (not a test).

    .venv/bin/python bench/documents_bench.py [--repeat N]

Builds, in a throwaway SQLite database, the demo's typical application and a maximal one (15 members,
every narrative at its character limit) through the real services, submits both, then times each
document kind and prints a Markdown table (median and worst of N runs, the median CPU time of the
process, pages, size). The first render of a process loads the CJK fonts (and, once per installation,
cuts them: documents/fonts.py); it is timed separately as "warm-up". On a machine shared with other
work the wall-clock times wait for the CPU; the CPU time does not.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def setup_django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["SCIPLAN_PRIVATE_STORAGE"] = str(workdir / "private")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplan.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_versions():
    from tests.documents.builders import submitted_max_version

    from sciplan.accounts.demo import load as load_accounts
    from sciplan.applications.demo import build_complete_application
    from sciplan.applications.services import submit_application
    from sciplan.calls.demo import create_practice_call, ensure_dictionaries

    ensure_dictionaries()
    call = create_practice_call()
    context: dict = {}
    load_accounts(context)
    users = context["users"]
    typical = submit_application(
        build_complete_application(call, users["applicant_b"]), by=users["applicant_b"]
    )
    maximal = submitted_max_version(call, users["applicant"], members=15)
    return {"典型（3家成员）": typical, "最大（15家成员，正文满额）": maximal}


def pages(data: bytes, kind: str) -> str:
    if not kind.endswith("pdf"):
        return "—"
    from pypdf import PdfReader

    return str(len(PdfReader(io.BytesIO(data)).pages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp))
        from sciplan.documents import services

        versions = build_versions()
        start = time.perf_counter()
        services.render(next(iter(versions.values())), "receipt_pdf")
        warmup = time.perf_counter() - start

        rows = []
        for label, version in versions.items():
            for kind in ("application_pdf", "application_docx", "plan_pdf", "plan_docx", "receipt_pdf"):
                times, cpu, data = [], [], b""
                for _ in range(args.repeat):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    data = services.render(version, kind)
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
                rows.append(
                    (
                        label,
                        kind,
                        statistics.median(times),
                        max(times),
                        statistics.median(cpu),
                        pages(data, kind),
                        len(data) / 1024,
                    )
                )

    print(f"\n文档生成耗时（每项 {args.repeat} 次；首次加载字体 {warmup:.2f} s 不计入）\n")
    print(f"1 分钟平均负载 {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核）\n")
    print("| 申报书 | 文档 | 中位数 (s) | 最慢 (s) | CPU 中位数 (s) | 页数 | 大小 (KiB) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, kind, median, worst, cpu_median, page_count, size in rows:
        print(
            f"| {label} | {kind} | {median:.2f} | {worst:.2f} | {cpu_median:.2f} | {page_count} | {size:.0f} |"
        )


if __name__ == "__main__":
    main()
