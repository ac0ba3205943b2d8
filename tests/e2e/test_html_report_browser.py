"""The HTML report in a real browser: headless Debian Chromium paints it and fetches nothing.

Chromium takes a screenshot of the rendered page and writes a net log. The PNG is decoded here in
pure Python (zlib and the PNG filters) to check that something was painted, including the heatmap's
red and green. The net log must show no http(s) request made for the page. Chromium itself still
calls home in the background (update checks, account lookups: initiator "not an origin", refused by
the closed network); those are told apart by their initiator, and a control page with an external
image proves that a page's own request would be caught — and that the report's CSP blocks it.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from tenantguard.audit.formats.html import CSP, render
from tenantguard.audit.formats.svg import GREEN, PALETTE, RED

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 1280, 2000
BROWSER_INITIATED = "not an origin"  # the initiator Chromium logs for its own background requests


def sample_report() -> dict[str, Any]:
    def violation(rule: str, severity: str, kind: str, namespace: str, name: str, message: str) -> dict[str, Any]:
        return {
            "rule": rule,
            "category": rule[:3].lower(),
            "severity": severity,
            "mode": "enforce",
            "title": "",
            "message": message,
            "fix": "see the rule's docs",
            "path": "spec",
            "kind": kind,
            "namespace": namespace,
            "name": name,
            "tenant": namespace.split("-")[0],
            "file": "",
            "line": 0,
        }

    gpu = {
        "allocated": {"nvidia.com/gpu": 2, "nvidia.com/mig-3g.40gb": 1},
        "running": {"nvidia.com/gpu": 2},
        "pending": {"nvidia.com/mig-3g.40gb": 1},
        "gpuHours": 48.0,
        "gpuHoursByResource": {"nvidia.com/gpu": 44.0, "nvidia.com/mig-3g.40gb": 4.0},
        "gpuHoursByDay": {"2026-11-26": 20.0, "2026-11-27": 28.0},
    }
    return {
        "schemaVersion": "tenantguard.io/audit/v4",
        "generatedAt": "2026-11-27T18:00:00Z",
        "source": {"type": "cluster", "server": "https://127.0.0.1:6443"},
        "window": {"start": "2026-11-26T18:00:00Z", "end": "2026-11-27T18:00:00Z", "hours": 24.0},
        "summary": {
            "objects": 1234,
            "tenants": 2,
            "violations": 3,
            "bySeverity": {"error": 2, "warning": 1},
            "crossTenantPaths": 1,
            "uncoveredPods": 1,
            "crossTenantAccess": 1,
            "mtlsUncovered": 1,
        },
        "tenants": ["acme", "globex"],
        "isolation": {
            "violations": [
                violation(
                    "NET002",
                    "error",
                    "NetworkPolicy",
                    "globex-prod",
                    "allow-all",
                    "ingress from every namespace: any pod in the cluster can reach globex-prod",
                ),
                violation(
                    "RBAC001",
                    "error",
                    "RoleBinding",
                    "globex-prod",
                    "leak",
                    "binds Group/acme-devs of tenant acme in globex's namespace <script>alert(1)</script>",
                ),
                violation(
                    "GPU007",
                    "warning",
                    "Deployment",
                    "acme-dev",
                    "web",
                    "tolerates the GPU taint without requesting GPUs",
                ),
            ],
            "reachability": {
                "tenants": {"acme": {"acme": True, "globex": True}, "globex": {"acme": False, "globex": True}},
                "crossTenantPaths": [
                    {
                        "from": {"tenant": "acme", "namespace": "acme-prod", "pods": ["vllm-0"]},
                        "to": {"tenant": "globex", "namespace": "globex-prod", "pods": ["redis-0"]},
                        "ports": ["TCP/6379"],
                        "ingressPolicies": ["globex-prod/allow-all"],
                        "egressPolicies": [],
                    }
                ],
                "uncoveredPods": [
                    {"tenant": "acme", "namespace": "acme-dev", "name": "debug", "missing": ["ingress", "egress"]}
                ],
            },
            "rbac": {
                "crossTenantAccess": [
                    {
                        "subject": "Group/acme-devs",
                        "subjectTenant": "acme",
                        "namespace": "globex-prod",
                        "namespaceTenant": "globex",
                        "verbs": ["*"],
                        "resources": ["*"],
                        "via": "RoleBinding globex-prod/leak -> ClusterRole admin",
                    }
                ],
                "riskyGrants": [
                    {
                        "subject": "Group/acme-devs",
                        "tenant": "acme",
                        "namespace": "acme-dev",
                        "risk": "secrets-read",
                        "via": "RoleBinding acme-dev/devs -> ClusterRole edit",
                    }
                ],
            },
            "mtls": {
                "servingPods": 4,
                "covered": 3,
                "uncovered": [{"tenant": "acme", "namespace": "acme-prod", "name": "vllm-0", "reason": "no sidecar"}],
            },
            "unlabelled": [],
        },
        "usage": {
            "gpuHours": {
                "source": "kube-state-metrics",
                "lowerBound": False,
                "stepSeconds": 60,
                "days": ["2026-11-26", "2026-11-27"],
            },
            "pricing": {"currency": "EUR", "mig": "computeShare"},
            "notes": [],
            "tenants": {
                "acme": {
                    "gpu": gpu,
                    "cost": {"currency": "EUR", "total": 105.6, "idle": 38.9, "perMillionTokens": 640.0},
                    "quota": [
                        {
                            "namespace": "acme-prod",
                            "name": "gpu",
                            "hard": "8",
                            "used": "2",
                            "resource": "requests.nvidia.com/gpu",
                        }
                    ],
                    "endpoints": [
                        {
                            "kind": "InferenceService",
                            "namespace": "acme-prod",
                            "name": "llama3-chat",
                            "model": "s3://acme-models/llama-3.1-8b-instruct/",
                        }
                    ],
                    "metrics": {"gpuUtilizationPercent": 63.2, "promptTokens": 120000, "generationTokens": 45000},
                },
                "globex": {
                    "gpu": {
                        "allocated": {"nvidia.com/gpu": 1},
                        "running": {"nvidia.com/gpu": 1},
                        "pending": {},
                        "gpuHours": 20.5,
                        "gpuHoursByResource": {"nvidia.com/gpu": 20.5},
                        "gpuHoursByDay": {"2026-11-26": 8.5, "2026-11-27": 12.0},
                    },
                    "quota": [],
                    "endpoints": [],
                    "metrics": None,
                },
            },
        },
    }


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (Debian package)", pytrace=False)
    return found


def screenshot(page: Path, work: Path) -> tuple[bytes, list[dict[str, Any]]]:
    """(PNG bytes, the net log's URL_REQUEST_START_JOB params) of one headless run on `page`."""
    png, netlog = work / f"{page.stem}.png", work / f"{page.stem}.netlog.json"
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={work / ('profile-' + page.stem)}",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--log-net-log={netlog}",
        page.as_uri(),
    ]
    run = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert png.exists(), f"chromium wrote no screenshot (exit {run.returncode}): {run.stderr.decode()[-2000:]}"
    raw = netlog.read_bytes().rstrip()
    if not raw.endswith(b"}"):  # a log cut short at exit lacks its closing brackets
        raw = raw.rstrip(b",") + b"]}"
    log = orjson.loads(raw)
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    jobs = [e.get("params", {}) for e in log["events"] if e["type"] == start_job]
    return png.read_bytes(), jobs


def page_requests(jobs: list[dict[str, Any]]) -> list[str]:
    """http(s) URLs requested for a page, not by the browser's own background services."""
    return [
        str(j.get("url"))
        for j in jobs
        if j.get("initiator") != BROWSER_INITIATED and str(j.get("url", "")).startswith(("http://", "https://"))
    ]


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, header, idat = 8, b"", bytearray()
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG: {depth=} {colour=} {interlace=}"
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(bytes(idat)), width * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride) if kind else ():
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if kind == 1:
                predicted = a
            elif kind == 2:
                predicted = b
            elif kind == 3:
                predicted = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predicted = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[x] = (line[x] + predicted) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(v for k, v in enumerate(line) if k % 4 != 3))
        prev = line
    return width, height, rows


def near(pixel: tuple[int, int, int], hex_colour: str, tolerance: int = 8) -> bool:
    target = bytes.fromhex(hex_colour.removeprefix("#"))
    return all(abs(p - t) <= tolerance for p, t in zip(pixel, target, strict=True))


def test_the_report_paints_its_heatmap_and_fetches_nothing(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(sample_report()), encoding="utf-8")
    png, jobs = screenshot(page, tmp_path)

    assert page_requests(jobs) == []
    width, height, rows = decode_png(png)
    assert (width, height) == (WIDTH, HEIGHT)
    colours: dict[tuple[int, int, int], int] = {}
    for row in rows:
        for x in range(0, len(row), 3):
            pixel = (row[x], row[x + 1], row[x + 2])
            colours[pixel] = colours.get(pixel, 0) + 1
    assert len(colours) > 200, f"only {len(colours)} distinct colours: a blank or broken page"
    assert max(colours.values()) < 0.9 * width * height, "one colour covers 90% of the page"
    # A heatmap cell is the only solid square of its colour at least 40 px wide and tall (bars are 18 px).
    assert block_rows(rows, RED) >= 40, f"no red heatmap cell ({RED}) painted"
    assert block_rows(rows, GREEN) >= 40, f"no green heatmap cell ({GREEN}) painted"
    # The per-day chart's columns are the only marks of a tenant's colour taller than a bar (18 px): acme's is ~140.
    assert tallest_block(rows, PALETTE[0]) >= 60, f"no GPU-hours-per-day column ({PALETTE[0]}) painted"


def tallest_block(rows: list[bytes], colour: str, run: int = 30) -> int:
    """The most consecutive pixel rows that each hold `run` pixels of exactly `colour`: the height of a solid mark."""
    needle = bytes.fromhex(colour.removeprefix("#")) * run
    best = streak = 0
    for row in rows:
        at = row.find(needle)
        while at > 0 and at % 3:
            at = row.find(needle, at + 1)
        streak = streak + 1 if at >= 0 else 0
        best = max(best, streak)
    return best


def block_rows(rows: list[bytes], colour: str, run: int = 40) -> int:
    """How many pixel rows hold at least `run` consecutive pixels of exactly `colour` (solid SVG fills are exact)."""
    needle = bytes.fromhex(colour.removeprefix("#")) * run
    count = 0
    for row in rows:
        at = row.find(needle)
        while at > 0 and at % 3:  # a match must start on a pixel
            at = row.find(needle, at + 1)
        count += at >= 0
    return count


def test_a_page_request_would_be_caught_and_the_csp_blocks_it(tmp_path: Path) -> None:
    image = '<img src="http://127.0.0.1:9/tracker.png" alt="">'
    leaky, guarded = tmp_path / "leaky.html", tmp_path / "guarded.html"
    leaky.write_text(f"<!DOCTYPE html><html><body>{image}</body></html>")
    guarded.write_text(
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"</head><body>{image}</body></html>"
    )
    assert page_requests(screenshot(leaky, tmp_path)[1]) == ["http://127.0.0.1:9/tracker.png"]
    assert page_requests(screenshot(guarded, tmp_path)[1]) == []
