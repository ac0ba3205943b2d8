"""PSS012 hostProbesAndHostLifecycle: no host in probes' and lifecycle hooks' httpGet/tcpSocket (v1.34)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS012"
SITES = [
    (("livenessProbe",), "httpGet"), (("livenessProbe",), "tcpSocket"),
    (("readinessProbe",), "httpGet"), (("readinessProbe",), "tcpSocket"),
    (("startupProbe",), "httpGet"), (("startupProbe",), "tcpSocket"),
    (("lifecycle", "postStart"), "httpGet"), (("lifecycle", "postStart"), "tcpSocket"),
    (("lifecycle", "preStop"), "httpGet"), (("lifecycle", "preStop"), "tcpSocket"),
]  # fmt: skip


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def container_with(where: tuple[str, ...], handler: str, host: str | None, name: str = "app") -> dict[str, Any]:
    action: dict[str, Any] = {"port": 8000} | ({} if host is None else {"host": host})
    node: dict[str, Any] = {handler: action}
    for key in reversed(where):
        node = {key: node}
    return restricted_container(name) | node


@pytest.mark.parametrize(("where", "handler"), SITES, ids=[f"{'.'.join(w)}.{h}" for w, h in SITES])
@pytest.mark.parametrize("host", [None, ""], ids=["undefined", "empty"])
def test_allowed_values(where: tuple[str, ...], handler: str, host: str | None) -> None:
    assert fired(example_pod(container_with(where, handler, host)), BASELINE_TENANT) == []


@pytest.mark.parametrize(("where", "handler"), SITES, ids=[f"{'.'.join(w)}.{h}" for w, h in SITES])
def test_any_host_is_denied(where: tuple[str, ...], handler: str) -> None:
    (v,) = fired(example_pod(container_with(where, handler, "169.254.169.254")))
    assert v.path == f"spec.containers[0].{'.'.join(where)}.{handler}.host"
    assert v.message == 'probe or lifecycle host (container "app" uses probe or lifecycle host "169.254.169.254")'


@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers"])
def test_init_and_ephemeral_containers(field: str) -> None:
    obj = example_pod(**{field: [container_with(("startupProbe",), "httpGet", "localhost", "x")]})
    assert [v.path for v in fired(obj)] == [f"spec.{field}[0].startupProbe.httpGet.host"]


# Versions: v1.34 is the first; before it nothing is judged.
def test_not_judged_before_v1_34() -> None:
    obj = example_pod(container_with(("readinessProbe",), "httpGet", "10.0.0.1"))
    assert fired(obj, pinned("v1.33", BASELINE_TENANT)) == []
    assert len(fired(obj, pinned("v1.34", BASELINE_TENANT))) == 1
