"""The load generator: a bounded asyncio + httpx client, run as its own process.

It talks only to 127.0.0.1, every phase is bounded by a request count and a time limit, and it stops by
itself. It knows nothing of Django: the manifest written by ``bench/seed.py`` tells it the personas
(session cookies, API tokens), the applications and the endpoints that exist.

    python bench/load.py --manifest m.json --plan plan.json --out results.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import string
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

CSRF = "".join(random.choices(string.ascii_letters + string.digits, k=32))
AUTOSAVE_TEXT = "依托牵头单位省级企业技术中心，联合高校、科研院所与产业链上下游企业开展关键核心技术联合攻关。"


@dataclass
class Outcome:
    kind: str
    status: int
    seconds: float
    ok: bool
    error: str = ""
    retries: int = 0


@dataclass
class State:
    """What the clients share: the open drafts, who is editing what, the receipts they were given."""

    manifest: dict
    rng: random.Random
    drafts: list[int] = field(default_factory=list)
    busy: set[int] = field(default_factory=set)
    versions: dict[int, int] = field(default_factory=dict)
    receipts: list[dict] = field(default_factory=list)
    by_id: dict[int, dict] = field(default_factory=dict)
    submitted: list[int] = field(default_factory=list)
    pdf: bytes = b""
    autosave_shape: str | None = None

    def __post_init__(self) -> None:
        for row in self.manifest["applications"]:
            self.by_id[row["id"]] = row
            if row["status"] == "draft":
                self.drafts.append(row["id"])
            else:
                self.submitted.append(row["id"])
        self.rng.shuffle(self.drafts)

    def take_draft(self) -> int | None:
        for app in self.drafts:
            if app not in self.busy:
                self.busy.add(app)
                return app
        return None

    def release(self, app: int) -> None:
        self.busy.discard(app)


def session_headers(persona: dict) -> dict[str, str]:
    return {"Cookie": f"sessionid={persona['session']}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


def bearer(persona: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {persona['token']}"}


def fill(path: str, **values) -> str:
    for key, value in values.items():
        path = path.replace("{" + key + "}", str(value))
    return path


def make_pdf(size: int) -> bytes:
    """A PDF the upload check accepts (pypdf reads its structure) of about ``size`` bytes — a scanned
    document's weight."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    # The weight goes into the document information dictionary: the writer computes the offsets, so
    # the cross-reference table stays right (padding spliced in afterwards would break it).
    writer.add_metadata({"/Producer": "SciPlan bench", "/Padding": ""})
    base = io.BytesIO()
    writer.write(base)
    writer.add_metadata({"/Padding": "x" * max(0, size - len(base.getvalue()))})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- one request of each kind -----------------------------------------------------------------------
# Each returns (response, expected statuses) or None when it has nothing to do (no draft left).


async def req_floor(client, state, ep):
    return await client.get(ep["path"]), {200}


async def req_home(client, state, ep):
    return await client.get(ep["path"]), {200}


async def req_public_call(client, state, ep):
    return await client.get(fill(ep["path"], call=state.manifest["call"])), {200}


async def req_status(client, state, ep):
    app = state.rng.choice(state.manifest["applications"])
    return await client.get(fill(ep["path"], app=app["id"]), headers=session_headers(app["applicant"])), {200}


def _autosave_body(state: State, app: int) -> dict:
    text = AUTOSAVE_TEXT * state.rng.randint(3, 20)
    version = state.versions.get(app, 1)
    if state.autosave_shape == "fields":
        return {"version": version, "fields": {"basis": text}}
    if state.autosave_shape == "section":
        return {"version": version, "section": "basis", "data": {"basis": text}}
    return {"version": version, "basis": text}


def _remember_version(state: State, app: int, response: httpx.Response) -> None:
    try:
        body = response.json()
    except ValueError:
        return
    if isinstance(body, dict):
        version = body.get("version") or (body.get("current") or {}).get("version")
        if isinstance(version, int):
            state.versions[app] = version


async def req_autosave(client, state, ep):
    app = state.take_draft()
    if app is None:
        return None
    try:
        persona = state.by_id[app]["applicant"]
        if ep["kind"] == "page":
            # The section form as the browser's autosave posts it: every field, one of them changed.
            data = {
                "base_version": state.versions.get(app, 1),
                "basis": AUTOSAVE_TEXT * state.rng.randint(3, 30),
                "goal_year1": "完成关键工艺中试，申请发明专利5项。",
                "goal_year2": "实现首批产品本地配套，新增产值2亿元。",
                "goal_year3": "形成产业化能力，带动配套企业10家以上。",
            }
            headers = {**session_headers(persona), "X-Autosave": "1"}
            response = await client.post(
                fill(ep["path"], app=app, section="basis"), data=data, headers=headers
            )
        else:
            response = await client.request(
                ep["method"],
                fill(ep["path"], app=app),
                json=_autosave_body(state, app),
                headers=bearer(persona),
            )
        _remember_version(state, app, response)
        return response, {200, 204}
    finally:
        state.release(app)


async def req_upload(client, state, ep):
    app = state.take_draft()
    if app is None:
        return None
    try:
        persona = state.by_id[app]["applicant"]
        files = {"file": ("补充材料.pdf", state.pdf, "application/pdf")}
        response = await client.post(
            fill(ep["path"], app=app), data={"kind": "other"}, files=files, headers=bearer(persona)
        )
        return response, {200, 201}
    finally:
        state.release(app)


def _receipt(body) -> str:
    if isinstance(body, dict):
        for key, value in body.items():
            if "receipt" in key and isinstance(value, str):
                return value
            found = _receipt(value)
            if found:
                return found
    return ""


async def req_submit(client, state, ep):
    app = state.take_draft()
    if app is None:
        return None
    persona = state.by_id[app]["applicant"]
    key = uuid.uuid4().hex
    try:
        response = await client.post(
            fill(ep["path"], app=app),
            json={"action": "submit", "idempotency_key": key},
            headers=bearer(persona),
        )
    except Exception:
        state.release(app)
        raise
    if response.status_code in (200, 201):
        state.drafts.remove(app)
        try:
            body = response.json()
        except ValueError:
            body = {}
        state.receipts.append({"app": app, "receipt": _receipt(body), "key": key})
    state.release(app)
    return response, {200, 201}


async def req_worklist(client, state, ep):
    rec = state.rng.choice(state.manifest["recommenders"])
    return await client.get(ep["path"], headers=session_headers(rec)), {200}


async def req_bureau_list(client, state, ep):
    bureau = state.manifest["bureau"]
    rec = state.rng.choice(state.manifest["recommenders"])["recommender"]
    query = state.rng.choice(["?state=submitted", "?state=accepted", f"?recommender={rec}", "?q=科技"])
    return await client.get(ep["path"] + query, headers=session_headers(bureau)), {200}


async def req_pdf(client, state, ep):
    app = state.by_id[state.rng.choice(state.submitted)]
    path = fill(ep["path"], app=app["id"], number=1)
    # Documents are generated by the queue after each submission: a version whose PDF is not ready yet
    # is answered 202 with its progress (and the generation queued), as designed; the report gives the
    # statuses.
    if ep["kind"] == "page":
        return await client.get(path, headers=session_headers(app["applicant"])), {200, 202}
    params = {"kind": "application_pdf"}
    return await client.get(path, params=params, headers=bearer(app["applicant"])), {200, 202}


async def req_xlsx(client, state, ep):
    rec = state.rng.choice(state.manifest["recommenders"])
    path = fill(ep["path"], call=state.manifest["call"])
    if ep["kind"] == "page":
        return await client.get(path, headers=session_headers(rec)), {200}
    return await client.get(path, params={"format": "xlsx"}, headers=bearer(rec)), {200}


REQUESTS = {
    "floor": req_floor,
    "home": req_home,
    "public_call": req_public_call,
    "status": req_status,
    "autosave": req_autosave,
    "upload": req_upload,
    "submit": req_submit,
    "worklist": req_worklist,
    "bureau_list": req_bureau_list,
    "pdf": req_pdf,
    "xlsx": req_xlsx,
}


async def one(client, state, kind: str, ep: dict, *, retry_503: bool) -> Outcome | None:
    started = time.perf_counter()
    retries = 0
    while True:
        try:
            result = await REQUESTS[kind](client, state, ep)
        except httpx.TimeoutException:
            return Outcome(kind, 0, time.perf_counter() - started, False, "timeout", retries)
        except httpx.HTTPError as exc:
            return Outcome(kind, 0, time.perf_counter() - started, False, type(exc).__name__, retries)
        if result is None:
            return None
        response, expected = result
        if response.status_code == 503 and retry_503 and retries < 3:
            # What the applicant's browser does: wait as told, then try again.
            retries += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        elapsed = time.perf_counter() - started
        ok = response.status_code in expected
        error = "" if ok else f"HTTP {response.status_code}: {response.text[:160]}"
        return Outcome(kind, response.status_code, elapsed, ok, error, retries)


def cpu_seconds(
    server_pid: int | None, database: str, groups: dict[str, list[int]] | None = None
) -> dict[str, float]:
    """CPU time used so far by the gunicorn master and its workers ("app"), the PostgreSQL backends of
    the benchmark database ("db") and the other processes of the shape — nginx ("proxy"), PgBouncer
    ("pooler"), the queue worker ("worker"), each a process and its children — from /proc. Unlike
    latency, CPU per request does not depend on what else the machine is doing, so it is the number to
    compare between runs on a shared machine."""
    owner = {pid: kind for kind, pids in (groups or {}).items() for pid in pids}
    tick = os.sysconf("SC_CLK_TCK")
    used_by: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry.name), int(fields[1])
        used = (int(fields[11]) + int(fields[12])) / tick
        if server_pid and (pid == server_pid or ppid == server_pid):
            used_by[f"app:{pid}"] = used
        elif pid in owner or ppid in owner:
            used_by[f"{owner.get(pid) or owner[ppid]}:{pid}"] = used
        elif cmdline.startswith("postgres:") and f" {database} " in cmdline:
            used_by[f"db:{pid}"] = used
    return used_by


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds used between two readings, per kind; processes that ended in between are not counted
    (their share is small: connections and workers live for the whole phase)."""
    totals = {"app": 0.0, "db": 0.0}
    for key, used in after.items():
        kind = key.split(":")[0]
        totals[kind] = totals.get(kind, 0.0) + used - before.get(key, 0.0)
    return totals


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarise(outcomes: list[Outcome], seconds: float) -> dict:
    done = [o for o in outcomes if o.ok]
    shed = [o for o in outcomes if o.status == 503]
    lat = [o.seconds * 1000 for o in outcomes if o.status not in (0,)]
    return {
        "requests": len(outcomes),
        "ok": len(done),
        "errors": len(outcomes) - len(done),
        "shed_503": len(shed),
        "timeouts": sum(1 for o in outcomes if o.error == "timeout"),
        "retried": sum(o.retries for o in outcomes),
        "throughput": round(len(done) / seconds, 1) if seconds else 0.0,
        "p50": round(percentile(lat, 0.50), 1),
        "p95": round(percentile(lat, 0.95), 1),
        "p99": round(percentile(lat, 0.99), 1),
        "max": round(max(lat), 1) if lat else 0.0,
        "ok_p99": round(percentile([o.seconds * 1000 for o in done], 0.99), 1),
        "shed_p99": round(percentile([o.seconds * 1000 for o in shed], 0.99), 1),
        "statuses": dict(
            sorted(
                {str(o.status): sum(1 for x in outcomes if x.status == o.status) for o in outcomes}.items()
            )
        ),
        "sample_errors": sorted({o.error for o in outcomes if o.error})[:5],
    }


async def run_phase(state: State, base: str, phase: dict, endpoints: dict) -> dict:
    mix: dict[str, float] = phase.get("mix") or {phase["scenario"]: 1.0}
    mix = {k: w for k, w in mix.items() if endpoints.get(k)}
    if not mix:
        return {"name": phase["name"], "available": False}
    kinds, weights = list(mix), list(mix.values())
    concurrency = phase["concurrency"]
    limit_count = phase.get("count", 10**9)
    deadline = time.monotonic() + phase["seconds"]
    outcomes: list[Outcome] = []
    issued = 0
    timeout = httpx.Timeout(phase.get("timeout", 30.0))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:

        async def worker() -> None:
            nonlocal issued
            while issued < limit_count and time.monotonic() < deadline:
                issued += 1
                kind = state.rng.choices(kinds, weights)[0]
                outcome = await one(
                    client, state, kind, endpoints[kind], retry_503=phase.get("retry_503", False)
                )
                client.cookies.clear()
                if outcome is None:
                    mix.pop(kind, None)
                    if not mix:
                        return
                    kinds[:], weights[:] = list(mix), list(mix.values())
                    continue
                outcomes.append(outcome)
                if outcome.status == 503 and phase.get("honor_retry_after"):
                    # A refused client waits as told before its next request, as the browser does.
                    await asyncio.sleep(3)

        cpu_before = cpu_seconds(
            state.manifest.get("server_pid"),
            state.manifest.get("database", ""),
            state.manifest.get("process_groups"),
        )
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
        cpu_after = cpu_seconds(
            state.manifest.get("server_pid"),
            state.manifest.get("database", ""),
            state.manifest.get("process_groups"),
        )
    by_kind = {
        kind: summarise([o for o in outcomes if o.kind == kind], elapsed)
        for kind in phase.get("mix", {phase["scenario"]: 1})
    }
    served = sum(1 for o in outcomes if o.status)
    cpu = {
        k: round(v * 1000 / served, 1) if served else 0.0 for k, v in cpu_used(cpu_before, cpu_after).items()
    }
    return {
        "name": phase["name"],
        "available": True,
        "cpu_ms_per_request": cpu,
        "load_average": round(os.getloadavg()[0], 1),
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "all": summarise(outcomes, elapsed),
        "by_kind": by_kind,
    }


async def probe_autosave(state: State, base: str, ep: dict) -> None:
    """Find the JSON shape of the API's partial update once, before measuring it."""
    if ep is None or ep["kind"] == "page":
        return
    app = state.take_draft()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for shape in ("flat", "fields", "section"):
            state.autosave_shape = shape
            response = await client.request(
                ep["method"],
                fill(ep["path"], app=app),
                json=_autosave_body(state, app),
                headers=bearer(state.by_id[app]["applicant"]),
            )
            _remember_version(state, app, response)
            if response.status_code in (200, 204):
                break
    state.release(app)


async def main_async(args) -> None:
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    base = manifest["base_url"]
    if urlsplit(base).hostname != "127.0.0.1":
        raise SystemExit("the load generator talks to 127.0.0.1 only")
    state = State(manifest=manifest, rng=random.Random(args.seed))
    state.pdf = make_pdf(2 * 1024 * 1024)
    endpoints = dict(manifest["endpoints"]["scenarios"])
    endpoints["autosave"] = endpoints.get("autosave_page") or endpoints.get("autosave_api")
    await probe_autosave(state, base, endpoints["autosave"])
    results = []
    for phase in plan:
        if phase.get("warmup"):
            await run_phase(state, base, {**phase, "count": phase["warmup"], "seconds": 30}, endpoints)
        result = await run_phase(state, base, phase, endpoints)
        results.append(result)
        line = result.get("all", {})
        print(
            f"{phase['name']:<28} c={phase['concurrency']:<3} "
            + (
                f"{line['throughput']:>7} req/s p50 {line['p50']} p99 {line['p99']} ms errors {line['errors']} 503 {line['shed_503']}"
                if result["available"]
                else "not available"
            ),
            flush=True,
        )
    out = {"phases": results, "receipts": state.receipts, "autosave_shape": state.autosave_shape}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="SciPlan load generator")
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=18)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
