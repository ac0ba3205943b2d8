"""GPU-hours from Prometheus history: exact for pods that no longer exist, summed inside Prometheus.

Two sources, both integrated over the window with subqueries at a fixed step (`--prometheus-step`, default 1m):

- **kube-state-metrics** (`kube-state-metrics`): per pod (by `uid`), its GPU-class requests
  (`kube_pod_container_resource_requests{unit="integer",node!=""}`, the resources named as kube-state-metrics
  sanitises them: `nvidia.com/gpu` is `nvidia_com_gpu`, `nvidia.com/mig-3g.40gb` is `nvidia_com_mig_3g_40gb`)
  times the number of steps at which the pod was Running (`kube_pod_status_phase{phase="Running"}`), summed by
  namespace, node and resource. Only the tenants' namespaces are asked for. Each phase series is integrated on
  its own and a pod's series added up (a kube-state-metrics redeploy splits them in time): several times faster
  than merging them at every step, which is done only when several instances export the same pods at the
  window's end (`duplicated_query`). Requests of init containers are not in that series (tenantguard's own
  gauges count them as the scheduler does).
- **tenantguard** (`tenantguard`): the allocation gauge the webhook exports (`webhook.allocation`:
  `tenantguard_gpu_allocated_devices{tenant,namespace,resource,product,phase}`), its Running devices summed per
  step; the maximum is taken across replicas that export the same figures.

At each step `t` (a multiple of the step, as Prometheus aligns subqueries) a series counts with the last sample it
has in `(t - step, t]` (`last_over_time`), so a series that ends — a deleted pod, with or without a staleness
marker — stops counting within one step. A step therefore stands for the step before it, and each bucket of the
window `(start, end]` holds exactly the steps inside it (`[length - 1ms : step]`), so the per-day buckets add up
to the window with no step counted twice.

**Error.** A pod's run is billed to within two steps of its length, at most (the phase is read from the last
sample in each step: a step too many at the end, part of a step too few at the start); with the default 1m step a
pod that ran six hours is billed 6 h ± 2 min. Steps with no sample at all — a scrape interval longer than the
step, or monitoring down — are not billed: keep the step at least the scrape interval (kube-state-metrics' is
usually 30 s; with 60 s scrapes use `--prometheus-step 2m`).

Nothing is pulled per pod: each query answers a few numbers per namespace and resource (and node, for the GPU
product). The window is cut into UTC days (GPU-hours per tenant per day), one instant query per day, run in
parallel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from tenantguard.audit.prometheus import PrometheusError, names_present, samples
from tenantguard.audit.showback import UsageRow
from tenantguard.audit.usage import Day, Window
from tenantguard.policies.gpu import FULL_GPU, MIG_PREFIX, SHARED_SUFFIX
from tenantguard.policies.pricing import CPU, MEMORY

KSM = "kube-state-metrics"
TENANTGUARD = "tenantguard"
AUTO = "auto"
SOURCES = (AUTO, KSM, TENANTGUARD)

REQUESTS = "kube_pod_container_resource_requests"
PHASE = "kube_pod_status_phase"
NODE_LABELS = "kube_node_labels"
ALLOCATED = "tenantguard_gpu_allocated_devices"
KSM_GPU = "nvidia_com_gpu|nvidia_com_gpu_shared|nvidia_com_mig_.+"
KSM_PRODUCT = "label_nvidia_com_gpu_product"  # with --metric-labels-allowlist=nodes=[nvidia.com/gpu.product]
GIB = 2**30
TIMEOUT = 120.0  # seconds per query: a week of 5,000 pods is answered in seconds, a slow server gets time
PARALLEL = 4

_SANITISE = re.compile(r"[^a-zA-Z0-9_]")
_KSM_MIG = re.compile(r"^nvidia_com_mig_(?P<g>\d+g)_(?P<mem>\d+gb)(?P<rest>.*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    source: str  # KSM or TENANTGUARD
    step_seconds: int
    rows: tuple[UsageRow, ...]


def ksm_label(resource: str) -> str:
    """kube-state-metrics' `resource` label for a resource name (its SanitizeLabelName)."""
    return _SANITISE.sub("_", resource)


def resource_of(label: str, known: Iterable[str] = ()) -> str:
    """The resource name behind a kube-state-metrics label: one of `known` that sanitises to it, else the
    canonical spelling (`nvidia_com_mig_1g_10gb_me` -> `nvidia.com/mig-1g.10gb.me`, which `-me` shares)."""
    for name in known:
        if ksm_label(name) == label:
            return name
    if label == ksm_label(FULL_GPU):
        return FULL_GPU
    if label == ksm_label(FULL_GPU + SHARED_SUFFIX):
        return FULL_GPU + SHARED_SUFFIX
    m = _KSM_MIG.match(label)
    if m:
        return f"{MIG_PREFIX}{m['g']}.{m['mem']}{m['rest'].replace('_', '.')}"
    return MIG_PREFIX + label.removeprefix("nvidia_com_mig_")  # still GPU-class: counted whole, never dropped


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _namespaces(names: Iterable[str]) -> str:
    """An alternation of namespace names (DNS labels: nothing in them needs escaping in RE2 or PromQL)."""
    return "|".join(n for n in sorted(names) if _DNS_LABEL.match(n))


def running_steps(length_ms: int, step_ms: int, namespaces: str, *, duplicated: bool = False) -> str:
    """Per pod uid: the steps in the bucket at which its last phase sample said Running.

    Each series is integrated on its own and the pod's series are then added up: exact when one kube-state-metrics
    exports the pod at a time (a redeploy changes `instance` and splits the pod's series in time; a rollout that
    scrapes old and new for a moment counts that moment twice). With `duplicated` — several instances export the
    same pods side by side — the series are merged per step first (`max by (uid)`), exact but several times slower
    (Prometheus aggregates at every step)."""
    phase = f'last_over_time({PHASE}{{phase="Running",namespace=~"{namespaces}"}}[{step_ms - 1}ms])'
    if duplicated:
        return f"sum_over_time((max by (uid) ({phase}))[{length_ms - 1}ms:{step_ms}ms])"
    return f"sum by (uid) (sum_over_time(({phase})[{length_ms - 1}ms:{step_ms}ms]))"


def duplicated_query(namespaces: str) -> str:
    """How many pods more than one kube-state-metrics exports at an instant (several unsharded replicas)."""
    return f'count(count by (uid) ({PHASE}{{phase="Running",namespace=~"{namespaces}"}}) > 1)'


def ksm_query(
    resources: str, unit: str, by: str, namespaces: str, length_ms: int, step_ms: int, *, duplicated: bool = False
) -> str:
    """Request x Running steps, summed `by` (namespace, and node for GPUs); duplicate series of one container
    (several kube-state-metrics instances) count once."""
    selector = f'{REQUESTS}{{unit="{unit}",node!="",resource=~"{resources}",namespace=~"{namespaces}"}}'
    requested = (
        f"sum by (uid, {by}) (max by (uid, container, {by}) (max_over_time({selector}[{length_ms + step_ms}ms])))"
    )
    running = running_steps(length_ms, step_ms, namespaces, duplicated=duplicated)
    return f"sum by ({by}) ({requested} * on (uid) group_left () {running})"


def gauge_query(length_ms: int, step_ms: int) -> str:
    by = "tenant, namespace, resource, product"
    held = f'max by ({by}) (last_over_time({ALLOCATED}{{phase="Running",tenant!=""}}[{step_ms - 1}ms]))'
    return f"sum_over_time(({held})[{length_ms - 1}ms:{step_ms}ms])"


def _ms(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() * 1000)


def choose(url: str, wanted: str, window: Window, *, timeout: float = TIMEOUT) -> str | None:
    """The source to bill from: `wanted`, or for `auto` kube-state-metrics where its series exist in the window,
    else tenantguard's gauges, else None. A source asked for by name that has no series is a PrometheusError."""
    present = names_present(url, (REQUESTS, PHASE, ALLOCATED), start=window.start, end=window.end, timeout=timeout)
    has = {KSM: {REQUESTS, PHASE} <= present, TENANTGUARD: ALLOCATED in present}
    if wanted != AUTO:
        if not has[wanted]:
            needs = f"{REQUESTS} and {PHASE}" if wanted == KSM else ALLOCATED
            raise PrometheusError(
                f"{url}: no {needs} series between {window.start:%Y-%m-%d %H:%M} and "
                f"{window.end:%Y-%m-%d %H:%M} UTC (--history-source {wanted})"
            )
        return wanted
    return next((s for s in (KSM, TENANTGUARD) if has[s]), None)


def _per_day(window: Window, ask: Callable[[Day], list[UsageRow]]) -> tuple[UsageRow, ...]:
    days = window.days()
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(days))) as pool:
        return tuple(row for rows in pool.map(ask, days) for row in rows)


def node_products(url: str, window: Window, *, timeout: float = TIMEOUT) -> dict[str, str]:
    """node -> nvidia.com/gpu.product from kube_node_labels, where kube-state-metrics exports that label."""
    expr = (
        f"max by (node, {KSM_PRODUCT}) "
        f'(max_over_time({NODE_LABELS}{{{KSM_PRODUCT}!=""}}[{_ms(window.start, window.end)}ms]))'
    )
    return {
        labels["node"]: labels[KSM_PRODUCT]
        for labels, _ in samples(url, expr, at=window.end, timeout=timeout)
        if labels.get("node") and labels.get(KSM_PRODUCT)
    }


def from_kube_state_metrics(
    url: str,
    window: Window,
    *,
    step_seconds: int,
    namespace_tenant: Mapping[str, str],
    products: Mapping[str, str],
    known_resources: Iterable[str] = (),
    cpu_memory: bool = False,
    duplicated: bool | None = None,
    timeout: float = TIMEOUT,
) -> History:
    """GPU device-hours (and CPU core-hours and memory GiB-hours with `cpu_memory`) of the tenants' namespaces.
    `duplicated`: whether several kube-state-metrics export the same pods; None asks Prometheus at the window's
    end (`duplicated_query`)."""
    step_ms = step_seconds * 1000
    namespaces = _namespaces(namespace_tenant)
    if not namespaces:
        return History(source=KSM, step_seconds=step_seconds, rows=())
    known = tuple(known_resources)
    products = {**products, **node_products(url, window, timeout=timeout)}
    if duplicated is None:
        duplicated = any(v > 0 for _, v in samples(url, duplicated_query(namespaces), at=window.end, timeout=timeout))

    def ask(day: Day) -> list[UsageRow]:
        length = _ms(day.start, day.end)
        gpu = ksm_query(
            KSM_GPU, "integer", "namespace, node, resource", namespaces, length, step_ms, duplicated=duplicated
        )
        rows = [
            UsageRow(
                tenant=namespace_tenant[labels["namespace"]],
                namespace=labels["namespace"],
                resource=resource_of(labels.get("resource", ""), known),
                product=products.get(labels.get("node", ""), ""),
                day=day.label,
                hours=value * step_seconds / 3600,
            )
            for labels, value in samples(url, gpu, at=day.end, timeout=timeout)
            if labels.get("namespace") in namespace_tenant and value > 0
        ]
        if cpu_memory:
            for resource, unit, scale in ((CPU, "core", 1.0), (MEMORY, "byte", 1 / GIB)):
                expr = ksm_query(resource, unit, "namespace", namespaces, length, step_ms, duplicated=duplicated)
                rows.extend(
                    UsageRow(
                        tenant=namespace_tenant[labels["namespace"]],
                        namespace=labels["namespace"],
                        resource=resource,
                        product="",
                        day=day.label,
                        hours=value * scale * step_seconds / 3600,
                    )
                    for labels, value in samples(url, expr, at=day.end, timeout=timeout)
                    if labels.get("namespace") in namespace_tenant and value > 0
                )
        return rows

    return History(source=KSM, step_seconds=step_seconds, rows=_per_day(window, ask))


def from_tenantguard(url: str, window: Window, *, step_seconds: int, timeout: float = TIMEOUT) -> History:
    """Device-hours from tenantguard's allocation gauge, attributed to the tenant the gauge named at the time."""
    step_ms = step_seconds * 1000

    def ask(day: Day) -> list[UsageRow]:
        expr = gauge_query(_ms(day.start, day.end), step_ms)
        return [
            UsageRow(
                tenant=labels["tenant"],
                namespace=labels.get("namespace", ""),
                resource=labels.get("resource", ""),
                product=labels.get("product", ""),
                day=day.label,
                hours=value * step_seconds / 3600,
            )
            for labels, value in samples(url, expr, at=day.end, timeout=timeout)
            if labels.get("tenant") and labels.get("resource") and value > 0
        ]

    return History(source=TENANTGUARD, step_seconds=step_seconds, rows=_per_day(window, ask))
