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
    "worklist": "Recommender work list (~110)",
    "bureau_list": "Bureau list of all 2,000, filtered",
    "pdf": "Application PDF",
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


HEADER = (
    "| Scenario | Clients | Requests | Throughput (req/s) | p50 ms | p95 ms | p99 ms | Errors | 503 | p50 ÷ floor "
    "| Throughput ÷ floor | CPU ms/request (app + db) | Budget |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def write_report(results: dict, stamp: datetime, folder: Path) -> Path:
    m = results["machine"]
    phases = {p["name"]: p for p in results["phases"]}
    floor = phases.get("floor", {}).get("all")
    lines = [
        f"# Deadline-surge benchmark — {stamp:%Y-%m-%d %H:%M} UTC",
        "",
        "Command: `make bench` (= `.venv/bin/python bench/run.py`), whole run "
        f"{results['elapsed']} s. Code measured: {results['code']}.",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']} memory, {m['os']}; Python {m['python']}, "
        f"PostgreSQL {m['postgresql']}, Django {m['django']}, gunicorn {m['gunicorn']}. The load generator "
        "runs on the same machine and takes part of the same two cores.",
        "",
        f"Data: {results['manifest']['counts']} (seeded in {results['manifest']['seconds']} s). Server: gunicorn "
        "`deploy/gunicorn.conf.py`, gthread, 2 processes × 24 threads, `SCIPLAN_MAX_CONCURRENT_REQUESTS=12` per "
        "process, PostgreSQL with persistent connections, Redis cache, DEBUG off.",
        "",
        "## Scenarios at 16 concurrent clients (closed loop, no think time)",
        "",
        HEADER,
    ]
    for name in [
        "floor",
        "public_call",
        "status",
        "autosave",
        "upload",
        "submit",
        "worklist",
        "bureau_list",
        "pdf",
        "xlsx",
    ]:
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
    lines += ["", "## The surge: the final hour compressed (mixed traffic)", ""]
    if surge and surge.get("available"):
        lines += [
            f"{surge['concurrency']} clients for {surge['seconds']} s with the real mix; a client that is told "
            "503 waits for Retry-After and tries again (as the browser does). Errors are final failures.",
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
    r = results["receipts"]
    lines += [
        "",
        f"**Acknowledged submissions lost: {r['lost']}** — {r['acknowledged']} submissions were acknowledged to "
        f"clients over the whole run ({r['with_receipt_number']} with a receipt number in the answer); each was "
        "looked up in the database afterwards (status no longer draft, a frozen version with that receipt).",
    ]
    over = phases.get("overload")
    if over and over.get("available"):
        a = over["all"]
        lines += [
            "",
            "## Overload: 4× the concurrency the machine serves",
            "",
            f"{over['concurrency']} clients, client timeout 10 s, {over['seconds']} s. Requests: {a['requests']}; "
            f"served {a['ok']} ({a['throughput']} req/s, p99 of served {a['ok_p99']} ms); refused with 503 + "
            f"Retry-After {a['shed_503']} (p99 of refusals {a['shed_p99']} ms); timeouts {a['timeouts']}; slowest "
            f"answer {a['max']} ms. Statuses: {a['statuses']}.",
        ]
    compare = results.get("compare")
    if compare:
        lines += [
            "",
            "## Server model: sync vs gthread (same data, 6–10 s per line)",
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
    loads = ", ".join(f"{p['name']} {p['load_average']}" for p in results["phases"] if p.get("available"))
    lines += [
        "",
        "## The machine while measuring",
        "",
        f"Load average at the start: {m['load_average']}; 1-minute load average at the end of each phase: {loads}. "
        "Above 2 the two cores were shared with other work, which lengthens latencies; CPU per request is not "
        "affected by that and is the number to compare between runs.",
    ]
    lines += ["", "## Endpoints driven", ""]
    for name, ep in results["endpoints"].items():
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
