"""Synthetic Prometheus history for the usage tests and benchmark: pods as kube-state-metrics records them.

A `PodLife` says when a pod existed, on which node, in which phase and what its containers request; `ksm_series`
turns it into the series kube-state-metrics exports (its own names and labels: `kube_pod_status_phase` with all
five phases, `kube_pod_container_resource_requests` with `resource` sanitised as it sanitises it and `unit`,
`node` empty until the pod is scheduled), one sample per scrape while the pod exists and nothing after it is
deleted. `OpenMetrics` writes families in the form `promtool tsdb create-blocks-from openmetrics` reads, one series
after the other in time order, and `backfill` runs Debian's promtool on it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
Sample = tuple[float, float]  # (unix seconds, value)


def ksm_resource(name: str) -> str:
    """kube-state-metrics' SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes `_`."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def unit_of(resource: str) -> str:
    return "core" if resource == "cpu" else "byte" if resource == "memory" else "integer"


@dataclass(frozen=True, slots=True, kw_only=True)
class PodLife:
    namespace: str
    name: str
    uid: str
    created: datetime
    deleted: datetime | None  # None: still there at the end of the data
    phases: tuple[tuple[datetime, str], ...]  # (from when, phase), in order; the first at `created`
    node: str = ""
    scheduled: datetime | None = None  # when spec.nodeName was set (None: at creation, when node is given)
    containers: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # container -> resource -> request

    def phase_at(self, t: datetime) -> str:
        current = self.phases[0][1]
        for since, phase in self.phases:
            if since <= t:
                current = phase
        return current

    def node_at(self, t: datetime) -> str:
        if not self.node or (self.scheduled is not None and t < self.scheduled):
            return ""
        return self.node

    def exists(self, t: datetime) -> bool:
        return self.created <= t and (self.deleted is None or t < self.deleted)


def scrapes(start: datetime, end: datetime, interval: float, offset: float) -> Iterator[datetime]:
    """Scrape times in [start, end): every `interval` seconds, `offset` seconds past the interval's grid."""
    first = (start.timestamp() - offset) // interval * interval + offset
    t = first if first >= start.timestamp() else first + interval
    while t < end.timestamp():
        yield datetime.fromtimestamp(t, start.tzinfo)
        t += interval


Instances = Callable[[datetime], Iterable[str]]  # which kube-state-metrics instances were scraped at a time


def ksm_series(
    pod: PodLife, times: Iterable[datetime], instances: Instances
) -> Iterator[tuple[str, dict[str, str], list[Sample]]]:
    """(metric, labels, samples) of every series kube-state-metrics exports for the pod at these scrape times."""
    series: dict[tuple[str, tuple[tuple[str, str], ...]], list[Sample]] = {}

    def add(metric: str, labels: dict[str, str], t: datetime, value: float) -> None:
        series.setdefault((metric, tuple(sorted(labels.items()))), []).append((t.timestamp(), value))

    base = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid, "job": "kube-state-metrics"}
    for t in times:
        if not pod.exists(t):
            continue
        phase, node = pod.phase_at(t), pod.node_at(t)
        for instance in instances(t):
            labels = {**base, "instance": instance}
            for p in PHASES:
                add("kube_pod_status_phase", {**labels, "phase": p}, t, 1.0 if p == phase else 0.0)
            for container, requests in pod.containers.items():
                for resource, value in requests.items():
                    extra = {"container": container, "node": node, "resource": ksm_resource(resource)}
                    add(
                        "kube_pod_container_resource_requests", {**labels, **extra, "unit": unit_of(resource)}, t, value
                    )
    for (metric, pairs), samples in series.items():
        yield metric, dict(pairs), samples


class OpenMetrics:
    """Families in OpenMetrics text, each series's samples in time order, ended by `# EOF`."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._family: str | None = None

    def family(self, name: str, kind: str = "gauge") -> None:
        self.out.write(f"# TYPE {name} {kind}\n")
        self._family = name

    def series(self, metric: str, labels: Mapping[str, str], samples: Iterable[Sample]) -> None:
        text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        prefix = f"{metric}{{{text}}} "
        self.out.write("".join(f"{prefix}{_value(v)} {t:.3f}\n" for t, v in samples))

    def close(self) -> None:
        self.out.write("# EOF\n")


def _value(v: float) -> str:
    return str(int(v)) if v == int(v) else repr(v)


def write_ksm(writer: OpenMetrics, pods: Iterable[PodLife], times: list[datetime], instances: Instances) -> None:
    """kube_pod_status_phase and kube_pod_container_resource_requests for these pods, family by family."""
    by_metric: dict[str, list[tuple[dict[str, str], list[Sample]]]] = {}
    for pod in pods:
        for metric, labels, samples in ksm_series(pod, times, instances):
            by_metric.setdefault(metric, []).append((labels, samples))
    for metric in sorted(by_metric):
        writer.family(metric)
        for labels, samples in by_metric[metric]:
            writer.series(metric, labels, samples)


def promtool() -> str:
    found = shutil.which("promtool") or "/usr/bin/promtool"
    if not Path(found).exists():
        raise FileNotFoundError("promtool is not installed: `apt-get install -y prometheus` (Debian package)")
    return found


def backfill(openmetrics: Path, data_dir: Path, *, block: timedelta = timedelta(hours=24)) -> None:
    """TSDB blocks from an OpenMetrics file, as an operator backfills (`promtool tsdb create-blocks-from`)."""
    hours = int(block.total_seconds() // 3600)
    command = [
        promtool(),
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        f"--max-block-duration={hours}h",
        "--quiet",
        str(openmetrics),
        str(data_dir),
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"promtool exited {run.returncode}: {run.stderr[-2000:]}")
