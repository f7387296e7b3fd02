"""Profile one page of a kept benchmark database with cProfile: where does a request's time go?

    .venv/bin/python bench/run.py --keep --skip-compare      # leaves sciplan_bench and prints its folder
    .venv/bin/python bench/hotspots.py --manifest bench/results/raw/<run>/manifest.json \\
        --scenario status -n 200

Runs the requests in this process through Django's test client with the production settings of the
run (the same database, cache and static manifest), so the numbers are CPU per request without the
network, and prints the functions with the most cumulative and own time, plus the SQL count.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description="cProfile one benchmark scenario in-process")
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parent.parent / "src"))
    args = parser.parse_args()
    sys.path.insert(0, args.src)
    env = json.loads((Path(args.manifest).parent / "env.json").read_text())
    env.pop("PYTHONPATH", None)
    os.environ.update({"DJANGO_SETTINGS_MODULE": "sciplan.settings", **env})
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    ep = manifest["endpoints"]["scenarios"][args.scenario]
    if not ep:
        raise SystemExit(f"{args.scenario}: not available")
    rng = random.Random(1)
    client = Client(HTTP_HOST="127.0.0.1")
    apps = manifest["applications"]

    def request():
        if args.scenario == "status":
            app = rng.choice(apps)
            client.cookies["sessionid"] = app["applicant"]["session"]
            return client.get(ep["path"].replace("{app}", str(app["id"])))
        if args.scenario in ("worklist",):
            client.cookies["sessionid"] = rng.choice(manifest["recommenders"])["session"]
            return client.get(ep["path"])
        if args.scenario == "bureau_list":
            client.cookies["sessionid"] = manifest["bureau"]["session"]
            return client.get(ep["path"] + "?state=submitted")
        if args.scenario == "public_call":
            return client.get(ep["path"].replace("{call}", str(manifest["call"])))
        if args.scenario in ("floor", "home"):
            return client.get(ep["path"])
        raise SystemExit(f"{args.scenario}: not profiled by this script")

    for _ in range(5):
        response = request()
    print(f"status {response.status_code}, {len(response.content)} bytes")
    with CaptureQueriesContext(connection) as queries:
        request()
    print(f"{len(queries.captured_queries)} SQL queries per request")
    # CPU time, not wall time: the machine may be shared, and waiting is not what we are looking for.
    profiler = cProfile.Profile(time.process_time)
    started = time.process_time()
    profiler.enable()
    for _ in range(args.n):
        request()
    profiler.disable()
    per = (time.process_time() - started) / args.n * 1000
    print(f"{per:.1f} ms CPU per request (in-process, profiler on)")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
