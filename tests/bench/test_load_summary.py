"""The load generator's arithmetic: percentiles and per-scenario summaries (bench/load.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("bench_load", Path(__file__).parents[2] / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load  # dataclasses look their module up while the class is built
_spec.loader.exec_module(load)


def test_percentile_of_hundred_values_picks_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert load.percentile(values, 0.50) == 51.0
    assert load.percentile(values, 0.99) == 99.0
    assert load.percentile(values, 1.0) == 100.0


def test_percentile_of_nothing_is_zero():
    assert load.percentile([], 0.99) == 0.0


def test_summarise_counts_refusals_and_errors_apart():
    outcomes = [
        load.Outcome("status", 200, 0.010, True),
        load.Outcome("status", 200, 0.020, True),
        load.Outcome("status", 503, 0.001, False, "HTTP 503"),
        load.Outcome("status", 0, 10.0, False, "timeout"),
    ]

    summary = load.summarise(outcomes, 2.0)

    assert summary["requests"] == 4
    assert summary["ok"] == 2
    assert summary["errors"] == 2
    assert summary["shed_503"] == 1
    assert summary["timeouts"] == 1
    assert summary["throughput"] == 1.0
    assert summary["statuses"] == {"0": 1, "200": 2, "503": 1}


def test_make_pdf_has_about_the_requested_size_and_a_structure_pypdf_reads():
    import io

    from pypdf import PdfReader

    data = load.make_pdf(2 * 1024 * 1024)

    assert abs(len(data) - 2 * 1024 * 1024) <= 64  # the writer's own bytes around the padding
    assert data[:5] == b"%PDF-"
    assert data.rstrip().endswith(b"%%EOF")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
