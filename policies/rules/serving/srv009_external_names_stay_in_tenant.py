"""SRV009 external-names-stay-in-tenant — an ExternalName Service aliases external hosts, never another tenant's.

What it checks: a Service of `type: ExternalName` in a tenant namespace. Its `spec.externalName`, read in
lower case without a trailing dot:
- an in-cluster name — `<svc>.<ns>.svc.<cluster domain>`, `<svc>.<ns>.svc`, a headless pod
  `<host>.<svc>.<ns>.svc…`, a pod `<a-b-c-d>.<ns>.pod…` — must name one of the tenant's namespaces or a
  gateway namespace (settings `gatewayNamespaces`). Another tenant's namespace, `default`, `kube-system`, the
  webhook's and any other namespace are denied. The cluster domain is not needed: a `svc` or `pod` label
  marks the label before it as a namespace whatever follows.
- a two-label name `<svc>.<ns>` is also a public name (`huggingface.co`), so it is denied only when `<ns>` is
  a namespace the policy knows (a Tenant's, a built-in or exempt one, or one the cluster view holds).
- an IP literal must lie in the tenant's `network.allowEgressCIDRs`, as EndpointSlice addresses must
  (SRV011), and so must an internal IPv4 address spelled in the name, which wildcard DNS services answer
  with (`10.244.3.17.nip.io`, `10-244-3-17.sslip.io`); `localhost` and names below it are denied (they reach
  the proxy itself).
Any other external name (`db.example.com`) is allowed, as Capsule and Kyverno's restrict-service-external-names
policies leave it to NetworkPolicy. An admission rule cannot see what a name resolves to: a public name whose
DNS record the tenant points at another tenant's pod IP is for the gateway's own egress policy to stop.

Why it matters: an ExternalName Service is a DNS CNAME, and the proxies that follow it — the platform gateway,
the ingress controller, a mesh sidecar — resolve it from their own namespace with the pod search path
(`ndots:5`), outside the tenant's NetworkPolicies. An HTTPRoute to the tenant's own Service `alias` with
`externalName: vllm.globex-prod` reaches globex's model server through the gateway, although SRV005 sees
only a same-namespace backend. Kubernetes names this confused-deputy class in CVE-2021-25740.

Fix: alias an external DNS name, or route to the tenant's own Services directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.serving.namespaces import host_out_of_bounds
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = subject.obj.get("spec")
    if ctx.tenant is None or not isinstance(spec, dict) or spec.get("type") != "ExternalName":
        return
    target = spec.get("externalName")
    reason = host_out_of_bounds(target, ctx) if isinstance(target, str) else None
    if reason:
        yield Finding(path="spec.externalName", message=reason)


def _alias(target: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "models-db", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"type": "ExternalName", "externalName": target},
    }


RULE = Rule(
    id="SRV009",
    slug="external-names-stay-in-tenant",
    title="ExternalName Services alias external hosts or the tenant's own Services",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=frozenset({"Service"}),
    fix="alias an external DNS name (or an IP inside the Tenant's egress CIDRs), or route to the tenant's own "
    "Services directly",
    why="The gateway and ingress controller follow an ExternalName from their own namespace, around the tenant's "
    "NetworkPolicies, so an alias of another tenant's Service hands that Service to this tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_alias("postgres.prod.example.com"), note="an external database"),
        Example(object=_alias("vllm.acme-dev.svc.cluster.local"), note="the tenant's own namespace"),
    ),
    denied=(
        Example(object=_alias("vllm.globex-prod.svc.cluster.local"), note="another tenant's model server"),
        Example(object=_alias("vllm.globex-prod"), note="the same through the resolver's search path"),
        Example(object=_alias("kubernetes.default.svc"), note="the Kubernetes API through the gateway"),
    ),
)
