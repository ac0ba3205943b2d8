"""helm for the chart tests: the binary scripts/build-helm.sh builds into the cache, and rendering helpers.

The binary is found (or built, once, under a lock) by running the script, which prints its folder; a test
that needs helm therefore fails with the build's reason, never skips.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "tenantguard"


class HelmError(AssertionError):
    """helm exited non-zero; the message carries its stderr."""


@functools.cache
def helm_bin(major: int = 4) -> Path:
    """helm 4 (every chart test) or helm 3 (lint and rendering compared with helm 4)."""
    proc = subprocess.run(
        [str(ROOT / "scripts" / "build-helm.sh"), str(major)], capture_output=True, text=True, timeout=1800, check=False
    )
    if proc.returncode != 0:
        raise HelmError(f"scripts/build-helm.sh exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return Path(proc.stdout.strip().splitlines()[-1]) / "helm"


def helm(
    *args: str, check: bool = True, env: Mapping[str, str] | None = None, major: int = 4
) -> subprocess.CompletedProcess[str]:
    run_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [str(helm_bin(major)), *args], capture_output=True, text=True, timeout=300, env=run_env, check=False
    )
    if check and proc.returncode != 0:
        raise HelmError(f"helm {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc


def set_args(values: Mapping[str, Any] | None) -> list[str]:
    """Values as one --set-json per top-level key (exact types: lists stay lists, numbers numbers)."""
    return [arg for key, value in (values or {}).items() for arg in ("--set-json", f"{key}={json.dumps(value)}")]


def template(
    values: Mapping[str, Any] | None = None,
    *,
    release: str = "tenantguard",
    namespace: str = "tenantguard-system",
    extra: Iterable[str] = (),
    major: int = 4,
) -> list[dict[str, Any]]:
    """Every object `helm template` renders, CRDs included."""
    out = helm(
        "template",
        release,
        str(CHART),
        "--namespace",
        namespace,
        "--include-crds",
        *set_args(values),
        *extra,
        major=major,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def find(objs: Iterable[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    if len(matches) != 1:
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(matches)}")
    return matches[0]


# name -> values; every one must lint and render, and each is sent to the API server in the e2e test.
MATRIX: dict[str, dict[str, Any]] = {
    "default": {},
    "cert-manager": {"certificates": {"certManager": {"enabled": True}}},
    "cert-manager-cluster-issuer": {
        "certificates": {
            "certManager": {"enabled": True, "issuerRef": {"name": "platform-ca", "kind": "ClusterIssuer"}}
        }
    },
    "monitoring": {
        "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}},
    },
    "audit": {"audit": {"enabled": True, "failOn": "error", "prometheusUrl": "http://prometheus.monitoring:9090"}},
    "audit-emptydir-markdown": {
        "audit": {
            "enabled": True,
            "formats": ["markdown"],
            "reports": {"persistence": "emptyDir"},
            "readSecrets": False,
        }
    },
    "audit-configmap": {
        "audit": {"enabled": True, "formats": ["json", "markdown"], "reports": {"persistence": "configMap"}}
    },
    "exempt-namespaces": {
        "settings": {"exemptNamespaces": ["kube-system", "monitoring", "argocd"], "tenantLabel": "platform.io/tenant"},
        "webhook": {"failurePolicy": "Ignore", "timeoutSeconds": 10},
    },
    "reconciler-in-webhook": {"reconciler": {"mode": "webhook"}},
    "reconciler-off": {"reconciler": {"enabled": False}},
    "everything-off": {
        "networkPolicy": {"enabled": False},
        "metrics": {"dashboard": {"enabled": False}},
        "webhook": {"podDisruptionBudget": {"enabled": False}, "topologySpread": {"enabled": False}},
    },
}


METRIC = re.compile(r"\b(tenantguard_[a-z_]+|up)\b")


def queried_metrics() -> set[str]:
    """Every series name the dashboard and the alert rules query."""
    dashboard = json.loads((CHART / "dashboards" / "tenantguard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [v["query"]["query"] for v in dashboard["templating"]["list"] if isinstance(v.get("query"), dict)]
    rule = find(template(MATRIX["monitoring"]), "PrometheusRule")
    exprs += [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]
    return {name for expr in exprs for name in METRIC.findall(expr)}
