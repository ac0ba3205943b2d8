"""Isolation findings computed from what the audit already knows: its reachability, RBAC and mTLS sections.

Every function takes plain data in the audit report's shapes (docs/audit-report.md) — cross-tenant paths,
`crossTenantAccess` entries, uncovered pods — and yields IsolationFinding, one per offender, with a message
that names the offenders and what opens the hole. `by_impact` orders them: severity, then the catalogue's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.isolation.catalogue import (
    CROSS_TENANT_PATH,
    CROSS_TENANT_PATH_UNDECLARED,
    CROSS_TENANT_RBAC,
    EMPTY_NAMESPACE_REACHABLE,
    EXPOSED_OUTSIDE_GATEWAY,
    HOST_NETWORK_POD,
    IMPACT,
    NAMESPACE_DEFAULT_DENY,
    NAMESPACE_POLICED,
    POD_DEFAULT_DENY,
    SERVING_POD_MTLS,
    IsolationCheck,
)
from tenantguard.policies.netpol.pods import ContainerPort

NAMED = 5  # namespaces or pods named in one message before "and N more"
_BINDING_KINDS = ("ClusterRoleBinding", "RoleBinding")


@dataclass(frozen=True, slots=True, kw_only=True)
class IsolationFinding:
    check: IsolationCheck
    kind: str
    namespace: str  # where it is reported ("" for cluster-wide)
    name: str
    tenant: str | None  # the tenant whose isolation it breaks
    message: str


def _names(items: Iterable[str]) -> str:
    listed = list(items)
    shown = ", ".join(listed[:NAMED])
    return shown + (f" and {len(listed) - NAMED} more" if len(listed) > NAMED else "")


def _opens_declared_or_any(ports: Iterable[str], declared: Iterable[ContainerPort]) -> bool:
    """Whether described ports ("*", "TCP/*", "TCP/8443", "TCP/8000-8080") open every port or a declared one."""
    declared = tuple(declared)
    for text in ports:
        protocol, _, number = text.partition("/")
        if text == "*" or number == "*":
            return True
        low, _, high = number.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            return True  # a form this code does not know: assume the worst
        lowest, highest = int(low), int(high or low)
        if any(p.protocol == protocol and lowest <= p.port <= highest for p in declared):
            return True
    return False


def _opened_by(path: Mapping[str, Any]) -> str:
    """What opens a path: its rules (`ns/name spec.ingress[0]`), else its policies, and node-local traffic."""
    rules = [f"{r['policy']} {r['rule']}" for key in ("ingressRules", "egressRules") for r in path.get(key) or ()]
    opening = rules or [str(p) for key in ("ingressPolicies", "egressPolicies") for p in path.get(key) or ()]
    parts = [f"opened by {_names(opening)}"] if opening else []
    if path.get("viaNode"):
        parts.append("a hostNetwork pod shares a node with the other end, and a pod's node always reaches it")
    return "; ".join(parts) or "no policy isolates either end"


def path_findings(
    paths: Iterable[Mapping[str, Any]], declared: Mapping[tuple[str, str], Iterable[ContainerPort]]
) -> Iterator[IsolationFinding]:
    """ISO001 / ISO006 from cross-tenant paths; `declared`: (namespace, pod) -> its container ports."""
    for path in paths:
        src, dst = path["from"], path["to"]
        ports = [str(p) for p in path["ports"]]
        pods = [str(p) for p in dst["pods"]]
        exposed = (declared.get((str(dst["namespace"]), pod), ()) for pod in pods)
        serving = _opens_declared_or_any(ports, (p for found in exposed for p in found))
        by = _opened_by(path)
        yield IsolationFinding(
            check=CROSS_TENANT_PATH if serving else CROSS_TENANT_PATH_UNDECLARED,
            kind="Namespace",
            namespace=str(dst["namespace"]),
            name=str(dst["namespace"]),
            tenant=str(dst["tenant"]),
            message=f"pods of tenant {src['tenant']!r} in {src['namespace']!r} can open connections to "
            f"{_names(pods)} on {', '.join(ports)} ({by})",
        )


def _binding(via: str) -> tuple[str, str, str]:
    """(kind, namespace, name) of "RoleBinding ns/name -> …" or "ClusterRoleBinding name -> …"."""
    head = via.split(" -> ", 1)[0]
    kind, _, ref = head.partition(" ")
    if kind not in _BINDING_KINDS:
        return "", "", ""
    namespace, _, name = ref.rpartition("/") if kind == "RoleBinding" else ("", "", ref)
    return kind, namespace, name


def rbac_findings(access: Iterable[Mapping[str, Any]]) -> Iterator[IsolationFinding]:
    """ISO002 from `crossTenantAccess` entries; a namespace "*" (the rest of a cluster-wide grant) is cluster-wide."""
    for entry in access:
        namespace, owner = str(entry["namespace"]), str(entry["namespaceTenant"])
        kind, _, name = _binding(str(entry["via"]))
        where = "the other tenants' remaining namespaces" if namespace == "*" else f"{namespace!r} (tenant {owner!r})"
        verbs = ", ".join(str(v) for v in entry["verbs"])
        resources = ", ".join(str(r) for r in entry["resources"])
        yield IsolationFinding(
            check=CROSS_TENANT_RBAC,
            kind=kind or "RoleBinding",
            namespace="" if namespace == "*" else namespace,
            name=name,
            tenant=None if owner == "*" else owner,
            message=f"{entry['subject']} of tenant {entry['subjectTenant']!r} may {verbs} {resources} in {where} "
            f"via {entry['via']}",
        )


def namespace_label_findings(
    labels: Mapping[str, Mapping[str, str]], owner_of: Mapping[str, str], label: str
) -> Iterator[IsolationFinding]:
    """ISO003: `labels` holds the Namespaces that exist (name -> labels), `owner_of` the tenant namespaces."""
    for namespace, owner in sorted(owner_of.items()):
        found = labels.get(namespace)
        if found is None or found.get(label) == owner:
            continue
        value = found.get(label)
        state = (
            f"carries {label}={value!r}, so it is policed as tenant {value!r}'s"
            if value is not None
            else f"lacks the label {label}, so no admission webhook polices it"
        )
        yield IsolationFinding(
            check=NAMESPACE_POLICED,
            kind="Namespace",
            namespace=namespace,
            name=namespace,
            tenant=owner,
            message=f"namespace {namespace!r} belongs to tenant {owner!r} but {state}",
        )


def uncovered_pod_findings(pods: Iterable[Mapping[str, Any]]) -> Iterator[IsolationFinding]:
    """ISO004 from `uncoveredPods` entries (tenant, namespace, name, missing)."""
    effects = {"ingress": "any pod in the cluster can connect to it", "egress": "it can connect to any pod"}
    for pod in pods:
        missing = [str(m) for m in pod["missing"]]
        yield IsolationFinding(
            check=POD_DEFAULT_DENY,
            kind="Pod",
            namespace=str(pod["namespace"]),
            name=str(pod["name"]),
            tenant=str(pod["tenant"]),
            message=f"no NetworkPolicy isolates the pod for {' and '.join(missing)}: "
            + " and ".join(effects[m] for m in missing if m in effects),
        )


def mtls_findings(pods: Iterable[Mapping[str, Any]]) -> Iterator[IsolationFinding]:
    """ISO005 from the mTLS section's `uncovered` entries (tenant, namespace, name, reason)."""
    for pod in pods:
        yield IsolationFinding(
            check=SERVING_POD_MTLS,
            kind="Pod",
            namespace=str(pod["namespace"]),
            name=str(pod["name"]),
            tenant=str(pod["tenant"]),
            message=f"serving pod without mTLS: {pod['reason']}",
        )


def default_deny_findings(missing: Mapping[str, tuple[str, tuple[str, ...]]]) -> Iterator[IsolationFinding]:
    """ISO007: namespace -> (tenant, the directions a new pod there would not be isolated in)."""
    for namespace, (tenant, directions) in sorted(missing.items()):
        if directions:
            yield IsolationFinding(
                check=NAMESPACE_DEFAULT_DENY,
                kind="Namespace",
                namespace=namespace,
                name=namespace,
                tenant=tenant,
                message=f"a new pod in {namespace!r} would not be isolated for {' and '.join(directions)}: "
                "no default deny selects every pod",
            )


def empty_namespace_findings(empty: Iterable[Mapping[str, Any]]) -> Iterator[IsolationFinding]:
    """ISO008 from `emptyNamespaces` entries whose new pod would reach, or be reached from, another tenant."""
    for entry in empty:
        inbound = [str(e["namespace"]) for e in entry["reachableFrom"]]
        outbound = [str(e["namespace"]) for e in entry["reaches"]]
        if not inbound and not outbound:
            continue
        parts = [f"could be reached from {_names(inbound)}"] if inbound else []
        parts += [f"could reach {_names(outbound)}"] if outbound else []
        namespace = str(entry["namespace"])
        yield IsolationFinding(
            check=EMPTY_NAMESPACE_REACHABLE,
            kind="Namespace",
            namespace=namespace,
            name=namespace,
            tenant=str(entry["tenant"]),
            message=f"{namespace!r} has no pods yet; a pod started there {' and '.join(parts)}",
        )


def exposure_findings(exposed: Iterable[Mapping[str, Any]]) -> Iterator[IsolationFinding]:
    """ISO010 from the report's `exposure.outsideGateway` entries."""
    for entry in exposed:
        via = entry["via"]
        workloads = [str(w) for w in entry["workloads"]]
        ports = ", ".join(str(p) for p in entry["ports"]) or "no port"
        published = f"publishes {_names(workloads)} on {ports}" if workloads else "publishes no pod yet"
        yield IsolationFinding(
            check=EXPOSED_OUTSIDE_GATEWAY,
            kind=str(via["kind"]),
            namespace=str(entry["namespace"]),
            name=str(via["name"]),
            tenant=str(entry["tenant"]),
            message=f"{via['how']}: {published} outside the platform gateway",
        )


def host_network_findings(pods: Iterable[Mapping[str, Any]]) -> Iterator[IsolationFinding]:
    """ISO011 from the report's `hostNetworkPods` entries (tenant, namespace, name, workload, node, sharesNodeWith)."""
    for pod in pods:
        node = f"node {pod['node']!r}" if pod.get("node") else "its node"
        others = [str(t) for t in pod.get("sharesNodeWith") or ()]
        reach = f"; it reaches the pods of tenant{'s' * (len(others) != 1)} {_names(others)} there" if others else ""
        yield IsolationFinding(
            check=HOST_NETWORK_POD,
            kind="Pod",
            namespace=str(pod["namespace"]),
            name=str(pod["name"]),
            tenant=str(pod["tenant"]),
            message=f"hostNetwork pod of {pod['workload']} on {node}: no NetworkPolicy selects or isolates it, "
            f"and traffic between it and every pod on {node} is always allowed{reach}",
        )


def impact(finding: IsolationFinding) -> tuple[int, int, str, str, str, str, str]:
    """Sort key: errors first, then the catalogue's order, then where."""
    check = finding.check
    return (
        -check.severity.rank,
        IMPACT[check.id],
        finding.tenant or "",
        finding.namespace,
        finding.kind,
        finding.name,
        finding.message,
    )


def by_impact(findings: Iterable[IsolationFinding]) -> list[IsolationFinding]:
    return sorted(findings, key=impact)
