"""The side-by-side benchmark's report writing (tests/bench/peers_report.py): pure functions, no timing."""

from __future__ import annotations

import json
from typing import Any

from tests.bench.peers_report import agreement, generated, paired_ratios, render_json, render_markdown, summary


def test_summary_is_median_min_max_and_the_samples() -> None:
    assert summary([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "runs": [3.0, 1.0, 2.0]}
    assert summary([])["median"] is None


def test_ratios_pair_each_round_with_the_same_round() -> None:
    # Round 2 is slow for both tools: paired, the ratio stays 2; medians taken apart would say 1.5.
    ratios = paired_ratios([2.0, 8.0, 2.0], [1.0, 4.0, 1.0])
    assert ratios["median"] == 2.0 and ratios["min"] == 2.0 and ratios["max"] == 2.0
    assert paired_ratios([1.0, 0.0], [1.0, 1.0])["runs"] == [1.0]  # a round without a figure is left out


def test_agreement_names_the_kinds_a_tool_misses() -> None:
    ours = {("Deployment", "a", "d"), ("LeaderWorkerSet", "a", "l"), ("RayService", "a", "r")}
    theirs = {("Deployment", "a", "d"), ("Pod", "a", "p")}
    result = agreement(ours, theirs)
    assert result["violating"] == 2 and not result["same"]
    assert result["missedKinds"] == {"LeaderWorkerSet": 1, "RayService": 1}
    assert result["extraKinds"] == {"Pod": 1}
    assert agreement(ours, set(ours))["same"]


def _report() -> dict[str, Any]:
    return {
        "generated": "2026-12-06 07:00 UTC",
        "machine": {"cpu": "cpu", "cores": 2, "memory_gib": 8.0, "os": "Linux", "python": "3.11", "load": "1.0"},
        "notes": ["a note"],
        "peers": {"polaris": {"version": "latest", "status": "refused", "detail": "403 Forbidden | proxy"}},
        "lint": [
            {
                "objects": 10000,
                "tool": "gator test",
                "checks": "Pod Security restricted",
                "seconds": summary([2.0, 4.0]),
                "objectsPerSecond": summary([5000.0, 2500.0]),
                "rssMiB": summary([70.0, 72.0]),
                "ratio": summary([1.5, 2.5]),
                "agreement": agreement({("LeaderWorkerSet", "a", "l")}, set()),
                "note": "n",
            }
        ],
        "admission": [
            {
                "peer": "tenantguard webhook, 1 worker",
                "concurrency": 8,
                "perSecond": summary([100.0]),
                "p50Ms": summary([5.0]),
                "p95Ms": summary([7.0]),
                "p99Ms": summary([9.0]),
                "addedP50Ms": summary([1.25]),
                "addedP99Ms": summary([-0.5]),
                "callsPerCreate": summary([2.0]),
                "webhookMsPerCreate": summary([]),
            }
        ],
        "webhook": [],
        "audit": [
            {
                "workload": "snapshot, 200 tenants",
                "tool": "tenantguard audit",
                "checks": "every rule + isolation",
                "objects": 100200,
                "seconds": summary([10.0, 12.0]),
                "objectsPerSecond": summary([10020.0, 8350.0]),
                "rssMiB": summary([231.0, 233.0]),
                "ratio": None,
                "agreement": agreement({("InferenceService", "a", "i")}, {("InferenceService", "a", "i")}),
                "note": "t",
            },
            {
                "workload": "snapshot, 200 tenants",
                "tool": "kyverno apply",
                "checks": "Pod Security restricted",
                "objects": 100200,
                "seconds": summary([100.0, 120.0]),
                "objectsPerSecond": summary([1002.0, 835.0]),
                "rssMiB": summary([4000.0, 4100.0]),
                "ratio": summary([10.0, 10.0]),
                "agreement": agreement({("InferenceService", "a", "i")}, set()),
                "note": "k",
            },
        ],
        "skipped": ["admission: failed: boom"],
        "commands": ["python tests/bench/bench_peers.py"],
    }


def test_markdown_has_a_row_per_figure_with_median_and_range() -> None:
    md = render_markdown(_report())
    rows = [line for line in md.splitlines() if line.startswith("| 10,000 | gator test")]
    assert rows == [
        "| 10,000 | gator test | Pod Security restricted | 3.00 [2.00, 4.00] | 3,750 [2,500, 5,000] | 71 [70, 72] | "
        "2.00 [1.50, 2.50] | 0; misses 1 (LeaderWorkerSet 1) | n |"
    ]
    assert "| tenantguard webhook, 1 worker | 8 | 100 [100, 100] | 5.00 [5.00, 5.00] |" in md
    assert "+1.25 [+1.25, +1.25] | -0.50 [-0.50, -0.50] | 2.0 [2.0, 2.0] | n/a |" in md  # no metric: n/a
    assert "403 Forbidden \\| proxy" in md  # a pipe in a cell does not split the row
    assert "- admission: failed: boom" in md and "## The webhook alone" not in md  # empty sections are left out


def test_audit_rows_put_each_tool_beside_tenantguard_audit() -> None:
    md = render_markdown(_report())
    assert "## Audit" in md and "only the Pod Security restricted profile" in md  # what each tool judges
    assert (
        "| snapshot, 200 tenants | tenantguard audit | every rule + isolation | 100,200 | 11.00 [10.00, 12.00] | "
        "9,185 [8,350, 10,020] | 232 [231, 233] | n/a | 1, same objects | t |"
    ) in md
    assert (
        "| snapshot, 200 tenants | kyverno apply | Pod Security restricted | 100,200 | 110.00 [100.00, 120.00] | "
        "918 [835, 1,002] | 4050 [4000, 4100] | 10.00 [10.00, 10.00] | 0; misses 1 (InferenceService 1) | k |"
    ) in md
    # a row from before the peers were added (no tool, no wall time) still renders
    old = {**_report(), "audit": [{"workload": "audit --snapshot", "objects": 5, "objectsPerSecond": summary([1.0])}]}
    row = "| audit --snapshot | tenantguard audit |  | 5 | n/a | 1 [1, 1] | n/a | n/a | n/a |  |"
    assert row in render_markdown(old)


def test_header_says_which_run_each_section_is_from() -> None:
    one = "2026-12-06 07:00 UTC"
    assert generated({"lint": one, "audit": one}) == one
    times = {"lint": "2026-12-06 06:33 UTC", "admission": "2026-12-06 07:03 UTC", "audit": "2026-12-06 06:33 UTC"}
    assert generated(times) == "2026-12-06 06:33 UTC (lint, audit); 2026-12-06 07:03 UTC (admission)"


def test_json_round_trips() -> None:
    report = _report()
    assert json.loads(render_json(report)) == report
