"""Turn a benchmark's results into ``bench/results/<date>.md``: machine, command, tables, verdicts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

LABELS = {
    "floor": "Sign-in page (floor)",
    "public_call": "Public call page",
    "status": "Applicant status page (application detail)",
    "autosave": "Autosave of a section",
    "upload": "Upload of a 2 MB PDF",
    "submit": "Submit",
    "home": "Home page",
    "worklist": "Recommender work list (one recommender's applications, paginated)",
    "bureau_list": "Bureau list, filtered, first page",
    "pdf": "Application PDF (200 when ready, 202 while the queue generates it)",
    "xlsx": "信息汇总表 XLSX (one recommender)",
}
# p99 budgets in ms at 16 concurrent clients (the task's performance budgets).
BUDGETS = {
    "status": 100,
    "worklist": 100,
    "public_call": 100,
    "bureau_list": 200,
    "autosave": 300,
    "submit": 300,
}


def _verdict(kind: str, line: dict) -> str:
    budget = BUDGETS.get(kind)
    if budget is None:
        return "—"
    ok = line["ok_p99"] < budget and line["errors"] == 0
    return f"p99 < {budget} ms: {'**met**' if ok else '**missed**'}"


def _row(label: str, line: dict, conc, floor: dict | None, verdict: str, cpu: dict | None = None) -> str:
    ratio = f"{line['p50'] / floor['p50']:.1f}×" if floor and floor["p50"] else "—"
    tratio = f"{line['throughput'] / floor['throughput']:.2f}" if floor and floor["throughput"] else "—"
    cost = f"{cpu['app']} + {cpu['db']}" if cpu else "—"
    return (
        f"| {label} | {conc} | {line['requests']} | {line['throughput']} | {line['p50']} | {line['p95']} | "
        f"{line['p99']} | {line['errors']} | {line['shed_503']} | {ratio} | {tratio} | {cost} | {verdict} |"
    )


# CPU per request (application + database), as a multiple of the floor measured in the same run (issue 17).
CPU_BUDGETS = {"home": 1.5, "public_call": 1.5, "status": 2, "worklist": 3, "bureau_list": 3, "submit": 4}
ORDER = [
    "floor",
    "home",
    "public_call",
    "status",
    "autosave",
    "upload",
    "submit",
    "worklist",
    "bureau_list",
    "pdf",
    "xlsx",
]


def _cost(p: dict | None) -> float | None:
    if not p or not p.get("available"):
        return None
    cpu = p.get("cpu_ms_per_request") or {}
    return cpu.get("app", 0) + cpu.get("db", 0)


HEADER = (
    "| Scenario | Clients | Requests | Throughput (req/s) | p50 ms | p95 ms | p99 ms | Errors | 503 | p50 ÷ floor "
    "| Throughput ÷ floor | CPU ms/request (app + db) | Budget |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _cpu_table(phases: dict, scale: str) -> list[str]:
    floor = _cost(phases.get("floor"))
    lines = [
        "| Page | CPU ms/request: app + db | × floor | Budget (× floor) | Verdict | nginx + PgBouncer ms/request | "
        "queue worker ms/request (background) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ORDER:
        p = phases.get(name)
        cost = _cost(p)
        if cost is None:
            lines.append(f"| {LABELS[name]} | not available | | | | | |")
            continue
        cpu = p["cpu_ms_per_request"]
        ratio = cost / floor if floor else None
        budget = CPU_BUDGETS.get(name)
        verdict = "—"
        if budget and ratio is not None:
            verdict = "**met**" if ratio <= budget else "**missed**"
        shape = round(cpu.get("proxy", 0) + cpu.get("pooler", 0), 1)
        lines.append(
            f"| {LABELS[name]} | {cpu.get('app', 0)} + {cpu.get('db', 0)} = {cost:.1f} | "
            f"{f'{ratio:.1f}×' if ratio is not None else '—'} | {f'≤ {budget}' if budget else '—'} | {verdict} | "
            f"{cpu.get('proxy', 0)} + {cpu.get('pooler', 0)} = {shape} | {cpu.get('worker', 0)} |"
        )
    return lines


def _scale_section(run: dict) -> list[str]:
    phases = {p["name"]: p for p in run["phases"]}
    floor = phases.get("floor", {}).get("all")
    counts = run["manifest"]["counts"]
    lines = [
        f"## {counts['applications']:,} applications ({run['scale']} scale)",
        "",
        *([run["note"], ""] if run.get("note") else []),
        f"Data: {counts} (seeded in {run['manifest']['seconds']} s; attachments: {run['manifest'].get('storage')}).",
        "",
        "### CPU per request against the budgets (16 concurrent clients)",
        "",
        *_cpu_table(phases, run["scale"]),
        "",
        "### Latency and throughput (closed loop, no think time, through nginx)",
        "",
        HEADER,
    ]
    for name in ORDER:
        p = phases.get(name)
        if p is None or not p.get("available"):
            lines.append(f"| {LABELS[name]} | — | — | not available | | | | | | | | endpoint not built yet |")
            continue
        lines.append(
            _row(
                LABELS[name],
                p["all"],
                p["concurrency"],
                floor,
                _verdict(name, p["all"]),
                p.get("cpu_ms_per_request"),
            )
        )
    surge = phases.get("surge")
    if surge and surge.get("available"):
        lines += [
            "",
            f"### The surge: {surge['concurrency']} clients for {surge['seconds']} s with the real mix",
            "",
            "A client told 503 waits for Retry-After and tries again (as the browser does). Errors are final failures.",
            "",
            HEADER,
        ]
        for kind, line in surge["by_kind"].items():
            if line["requests"]:
                lines.append(_row(LABELS.get(kind, kind), line, "mix", floor, _verdict(kind, line)))
        lines.append(
            _row(
                "**All requests**",
                surge["all"],
                surge["concurrency"],
                floor,
                "zero errors: " + ("**met**" if surge["all"]["errors"] == 0 else "**missed**"),
            )
        )
    r = run["receipts"]
    lines += [
        "",
        f"**Acknowledged submissions lost: {r['lost']}** of {r['acknowledged']} ({r['with_receipt_number']} with a "
        "receipt number in the answer), each looked up in the database afterwards.",
    ]
    over = phases.get("overload")
    if over and over.get("available"):
        a = over["all"]
        lines += [
            "",
            f"Overload ({over['concurrency']} clients, 4× the budget concurrency, {over['seconds']} s, client timeout "
            f"10 s): {a['requests']} requests; served {a['ok']} ({a['throughput']} req/s, p99 {a['ok_p99']} ms); "
            f"refused with 503 + Retry-After {a['shed_503']} (p99 {a['shed_p99']} ms); timeouts {a['timeouts']}; "
            f"slowest {a['max']} ms.",
        ]
    q = run.get("queue")
    if q:
        lines += [
            "",
            "### The queue: documents of the submissions (Celery worker, concurrency 1)",
            "",
            f"{q['versions']} submissions queued {q['queued']} documents; after the load the run waited "
            f"{q['waited_after_load_s']} s (bounded): {q['done']} generated, {q['failed']} failed, {q['left']} still "
            f"queued. Throughput {q['documents_per_second']} documents/s ({q['seconds_per_document']} s of worker "
            f"time per document, while sharing the two cores with the load). Submit → all five documents ready, for "
            f"the {q['versions_ready']} submissions complete: median {q['submit_to_ready_median_s']} s, p95 "
            f"{q['submit_to_ready_p95_s']} s, max {q['submit_to_ready_max_s']} s.",
        ]
    loads = ", ".join(f"{p['name']} {p['load_average']}" for p in run["phases"] if p.get("available"))
    lines += ["", f"1-minute load average at the end of each phase: {loads}."]
    compare = run.get("compare")
    if compare:
        lines += [
            "",
            "### Server model: sync vs gthread (same data, 6–10 s per line)",
            "",
            "| Model | Phase | Clients | Throughput | p50 ms | p99 ms | max ms | 503 | timeouts | CPU ms/req (app + db) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for model, model_phases in compare.items():
            for p in model_phases:
                if p.get("available"):
                    a = p["all"]
                    lines.append(
                        f"| {model} | {p['name']} | {p['concurrency']} | {a['throughput']} | {a['p50']} | {a['p99']} | "
                        f"{a['max']} | {a['shed_503']} | {a['timeouts']} | "
                        f"{p['cpu_ms_per_request']['app']} + {p['cpu_ms_per_request']['db']} |"
                    )
    return lines


def write_report(results: dict, stamp: datetime, folder: Path) -> Path:
    m = results["machine"]
    runs = results["runs"]
    lines = [
        f"# Deadline-surge benchmark — {stamp:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `make bench SCALE=province` (= `.venv/bin/python {results['command']}`), whole run "
        f"{results.get('elapsed', '—')} s. Code measured: {results['code']}.",
        *([results["how"], ""] if results.get("how") else []),
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']} memory, {m['os']}; Python {m['python']}, "
        f"PostgreSQL {m['postgresql']}, Django {m['django']}, gunicorn {m['gunicorn']}. Load average at the start: "
        f"{m['load_average']}. The load generator runs on the same machine and takes part of the same two cores.",
        "",
        "The production shape, every part a real process on 127.0.0.1: the clients → nginx (`deploy/nginx.conf`, "
        "one worker, X-Forwarded-For appended, SCIPLAN_TRUSTED_PROXY_COUNT=1) → gunicorn (`deploy/gunicorn.conf.py`, "
        "gthread, 2 processes × 24 threads, 12 requests at a time per process) → PgBouncer (`deploy/pgbouncer.ini`, "
        "transaction mode, SCIPLAN_DB_POOLER=pgbouncer) → PostgreSQL; Redis cache; a Celery worker on Redis for the "
        "documents of every submission; private files in an S3 bucket (moto's server) at 2,000, a directory at "
        "20,000. DEBUG off. CPU per request is read from /proc for each kind of process: it does not depend on "
        "what else the machine does, latency does.",
        "",
    ]
    if len(runs) > 1:
        city, province = runs.get("city"), runs.get("province")
        if city and province:
            c = {p["name"]: p for p in city["phases"]}
            v = {p["name"]: p for p in province["phases"]}
            lines += [
                "## As rows grow: 2,000 → 20,000 applications",
                "",
                "| Page | CPU ms/request at 2,000 | at 20,000 | × floor at 2,000 | at 20,000 | Budget |",
                "|---|---|---|---|---|---|",
            ]
            fc, fv = _cost(c.get("floor")), _cost(v.get("floor"))
            for name in ORDER:
                a, b = _cost(c.get(name)), _cost(v.get(name))
                if a is None or b is None:
                    continue
                budget = CPU_BUDGETS.get(name)
                lines.append(
                    f"| {LABELS[name]} | {a:.1f} | {b:.1f} | {a / fc:.1f}× | {b / fv:.1f}× | "
                    f"{f'≤ {budget}×' if budget else '—'} |"
                )
            lines.append("")
    for run in runs.values():
        lines += [*_scale_section(run), ""]
    rt = results.get("queue_roundtrip")
    if rt:
        lines += ["## The queue itself (`bench/queue_bench.py --only redis`, a no-op task)", ""]
        for name, row in rt.items():
            if isinstance(row, dict):
                lines.append(
                    f"- {name}: enqueue {row['enqueue_ms']} ms per task (what a request pays), round trip median "
                    f"{row['round_trip_median_ms']} ms, p95 {row['round_trip_p95_ms']} ms."
                )
            else:
                lines.append(f"- {name}: {row}")
        lines.append("")
    first = next(iter(runs.values()))
    lines += ["## Endpoints driven", ""]
    for name, ep in first["endpoints"].items():
        if ep:
            method = ep.get("method") or ("POST" if name == "autosave_page" else "GET")
            lines.append(f"- {name}: {method} `{ep['path']}` ({ep['kind']})")
        else:
            lines.append(f"- {name}: not available")
    lines.append("")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stamp:%Y-%m-%d}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    """Write the report from the per-scale results of runs (``raw/<run>/<scale>/run.json``), e.g. when
    the scales were measured in separate runs: ``report.py --results raw/B/results.json A/city/run.json
    B/province/run.json``."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--results", required=True, help="a run's results.json (machine, code, command)")
    parser.add_argument("runs", nargs="+", help="per-scale run.json files, in order")
    parser.add_argument("--how", help="a sentence on how the runs were combined")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text(encoding="utf-8"))
    if args.how:
        results["how"] = args.how
    results["runs"] = {}
    for path in args.runs:
        run = json.loads(Path(path).read_text(encoding="utf-8"))
        results["runs"][run["scale"]] = run
    stamp = datetime.fromisoformat(results.get("stamp", datetime.now().isoformat()))
    print(write_report(results, stamp, Path(__file__).resolve().parent / "results"))


if __name__ == "__main__":
    main()
