"""Per-tenant GPU utilisation and vLLM token counts over the audit window, from Prometheus.

Every query is an instant query (``/api/v1/query``) evaluated at ``time=end`` with range selectors
``[w]`` of the window's length ``w = end - start``, so a range covers ``start``..``end``. Series are
attributed to a namespace, then namespaces to tenants (``namespace_tenant``); other namespaces are
ignored. "Over the window" means:

- ``gpuUtilizationPercent``: the mean of all ``DCGM_FI_DEV_GPU_UTIL`` samples of the tenant's GPUs
  in the window, ``Σ sum_over_time / Σ count_over_time`` over the tenant's series. Each GPU weighs
  by how long the tenant held it (its number of samples), so a GPU held for a minute at 0 % does not
  halve a day at 90 %. MIG slices report no ``DCGM_FI_DEV_GPU_UTIL``; they do not count.
- ``promptTokens`` / ``generationTokens``: the growth of ``vllm:prompt_tokens_total`` /
  ``vllm:generation_tokens_total``, summed over the tenant's series: per series, its last value in
  the window minus its value at ``start`` (``x offset w``). A series without a value at ``start``
  (a vLLM process started within the window) counts from 0, since a new process starts its counters
  at 0; so does a series whose last value is below its start value (it restarted at the window's
  edge). This is exact — no extrapolation, unlike ``increase()``, which stretches the growth seen
  between the first and last sample to the window's edges — and keeps the tokens of pods that ended
  within the window (``last_over_time``, not the instant value). Only a series whose counter reset
  within the window (``resets() > 0``: a restart in place) falls back to ``increase()``, which is
  reset-aware but extrapolated, hence approximate.

Attribution: DCGM exporter labels a GPU in use with the pod's ``namespace`` / ``pod``; scraped
through a ServiceMonitor (without ``honor_labels``) they arrive as ``exported_namespace`` /
``exported_pod`` while ``namespace`` is the exporter's own. ``label_replace`` copies a non-empty
``exported_namespace`` over ``namespace``, so both set-ups work. vLLM has no namespace label of its
own; the scrape target's ``namespace`` label attributes it.

A figure is ``None`` when the tenant has no series for it. Any failure to get an answer raises
``PrometheusError``; the audit reports it and goes on without metrics.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
PROMPT_TOKENS = "vllm:prompt_tokens_total"
GENERATION_TOKENS = "vllm:generation_tokens_total"

METRIC_KEYS = ("gpuUtilizationPercent", "promptTokens", "generationTokens")


class PrometheusError(Exception):
    """Prometheus could not answer: unreachable, an HTTP error, a malformed answer or a query error."""


def by_namespace(expr: str) -> str:
    """Sum per namespace, preferring ``exported_namespace`` (ServiceMonitor scrapes) over ``namespace``."""
    return f'sum by (namespace) (label_replace({expr}, "namespace", "$1", "exported_namespace", "(.+)"))'


def counter_growth(metric: str, window: str) -> str:
    """Per series: last value in the window minus the value at its start (0 if born within it)."""
    last = f"last_over_time({metric}[{window}])"
    exact = f"((({last} - {metric} offset {window}) >= 0) or {last})"
    return f"(({exact} unless resets({metric}[{window}]) > 0) or increase({metric}[{window}]))"


def queries(window: str) -> dict[str, str]:
    return {
        "utilSum": by_namespace(f"sum_over_time({GPU_UTIL}[{window}])"),
        "utilCount": by_namespace(f"count_over_time({GPU_UTIL}[{window}])"),
        "promptTokens": by_namespace(counter_growth(PROMPT_TOKENS, window)),
        "generationTokens": by_namespace(counter_growth(GENERATION_TOKENS, window)),
    }


def window_selector(start: datetime, end: datetime) -> str:
    ms = round((utc(end) - utc(start)).total_seconds() * 1000)
    if ms <= 0:
        raise ValueError(f"the window must end after it starts: {start.isoformat()} .. {end.isoformat()}")
    return f"{ms}ms"


def utc(moment: datetime) -> datetime:
    """A naive datetime is taken to be UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _post(endpoint: str, form: Mapping[str, str], timeout: float) -> bytes:
    body = urllib.parse.urlencode(form).encode()
    return _call(
        urllib.request.Request(
            endpoint, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
        endpoint,
        timeout,
    )


def _call(request: urllib.request.Request, endpoint: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw: bytes = response.read()
            return raw
    except urllib.error.HTTPError as error:
        detail = answer_error(error.read()) or error.reason
        raise PrometheusError(f"{endpoint}: HTTP {error.code}: {detail}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PrometheusError(f"{endpoint}: unreachable: {reason}") from error


def samples(url: str, expr: str, *, at: datetime, timeout: float) -> list[tuple[dict[str, str], float]]:
    """One instant query: (labels, value) of each sample of the vector it answers."""
    endpoint = url.rstrip("/") + "/api/v1/query"
    form = {"query": expr, "time": f"{utc(at).timestamp():.3f}", "timeout": f"{max(timeout, 1):.0f}s"}
    return vector(endpoint, _post(endpoint, form, timeout))


def query(url: str, expr: str, *, at: datetime, timeout: float) -> dict[str, float]:
    """One instant query; returns ``{namespace: value}`` for a vector summed by namespace."""
    return {
        labels.get("namespace", ""): value
        for labels, value in samples(url, expr, at=at, timeout=timeout)
        if labels.get("namespace") and math.isfinite(value)
    }


def names_present(url: str, names: Iterable[str], *, start: datetime, end: datetime, timeout: float) -> set[str]:
    """Which of these metric names have samples between `start` and `end` (an index lookup, no samples read)."""
    endpoint = url.rstrip("/") + "/api/v1/label/__name__/values"
    wanted = sorted(names)
    params = urllib.parse.urlencode(
        {
            "match[]": '{__name__=~"' + "|".join(wanted) + '"}',
            "start": f"{utc(start).timestamp():.3f}",
            "end": f"{utc(end).timestamp():.3f}",
        }
    )
    raw = _call(urllib.request.Request(f"{endpoint}?{params}", method="GET"), endpoint, timeout)
    doc = _document(endpoint, raw)
    found = doc.get("data")
    if not isinstance(found, list):
        raise PrometheusError(f"{endpoint}: expected a list of names, got {str(found)[:200]}")
    return {n for n in found if isinstance(n, str)} & set(wanted)


def answer_error(raw: bytes) -> str:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(doc, dict) and doc.get("status") == "error":
        return f"{doc.get('errorType', 'error')}: {doc.get('error', '')}"
    return ""


def _document(endpoint: str, raw: bytes) -> dict[str, Any]:
    try:
        doc: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise PrometheusError(f"{endpoint}: the answer is not JSON: {error}") from error
    if not isinstance(doc, dict):
        raise PrometheusError(f"{endpoint}: the answer is not a JSON object")
    if doc.get("status") != "success":
        raise PrometheusError(f"{endpoint}: query failed: {doc.get('errorType', 'error')}: {doc.get('error', '')}")
    return doc


def vector(endpoint: str, raw: bytes) -> list[tuple[dict[str, str], float]]:
    data = _document(endpoint, raw).get("data")
    if not isinstance(data, dict) or data.get("resultType") != "vector" or not isinstance(data.get("result"), list):
        raise PrometheusError(f"{endpoint}: expected a vector result, got {str(data)[:200]}")
    found: list[tuple[dict[str, str], float]] = []
    for sample in data["result"]:
        try:
            labels = {str(k): str(v) for k, v in sample["metric"].items()}
            value = float(sample["value"][1])
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            raise PrometheusError(f"{endpoint}: malformed sample {str(sample)[:200]}") from error
        found.append((labels, value))
    return found


def usage_metrics(
    url: str, namespace_tenant: Mapping[str, str], *, start: datetime, end: datetime, timeout: float = 10
) -> dict[str, dict[str, float | None]]:
    """``{tenant: {"gpuUtilizationPercent", "promptTokens", "generationTokens"}}`` over ``start``..``end``."""
    window = window_selector(start, end)
    answers = {name: query(url, expr, at=end, timeout=timeout) for name, expr in queries(window).items()}
    tenants = sorted(set(namespace_tenant.values()))

    def per_tenant(name: str) -> dict[str, float]:
        totals: dict[str, float] = {}
        for namespace, value in answers[name].items():
            tenant = namespace_tenant.get(namespace)
            if tenant is not None:
                totals[tenant] = totals.get(tenant, 0.0) + value
        return totals

    util_sum, util_count = per_tenant("utilSum"), per_tenant("utilCount")
    prompt, generation = per_tenant("promptTokens"), per_tenant("generationTokens")
    result: dict[str, dict[str, float | None]] = {}
    for tenant in tenants:
        count = util_count.get(tenant, 0.0)
        result[tenant] = {
            "gpuUtilizationPercent": util_sum.get(tenant, 0.0) / count if count > 0 else None,
            "promptTokens": prompt.get(tenant),
            "generationTokens": generation.get(tenant),
        }
    return result
