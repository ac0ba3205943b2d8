"""NET002 no-all-namespaces-peer — tenant NetworkPolicies do not admit every namespace.

What it checks: no peer in `spec.ingress[*].from` or `spec.egress[*].to` has an empty
`namespaceSelector: {}` (which selects every namespace, with or without a `podSelector` beside it), and
no ingress or egress rule leaves `from` / `to` missing or empty (which matches every source or destination:
all pods of all tenants and every address).

Why it matters: NetworkPolicies add up. One rule that admits all namespaces undoes the managed default deny
for the pods it selects, so another tenant's pods could call a model server, or a tenant's pods could reach
every other tenant's.

Fix: name the peers: a `podSelector` alone (pods in this namespace), a `namespaceSelector` on the tenant label
(`tenantguard.io/tenant: <your tenant>`) or on `kubernetes.io/metadata.name`, or an `ipBlock` inside your
egress CIDRs.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.network.peers import is_empty_selector, peers, policy_rules
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    for rule in policy_rules(subject.obj):
        items = rule.rule.get(rule.peers_field)
        if not items:
            side = "from every source" if rule.direction == "ingress" else "to every destination"
            yield Finding(
                path=dotted((*rule.path, rule.peers_field)),
                message=f"{rule.direction} rule without {rule.peers_field!r} allows traffic "
                f"{side}, including every other tenant's pods",
            )
    for ref in peers(subject.obj):
        selector = ref.peer.get("namespaceSelector")
        if isinstance(selector, dict) and is_empty_selector(selector):
            pods = "all pods" if "podSelector" not in ref.peer else "the selected pods"
            yield Finding(
                path=dotted((*ref.path, "namespaceSelector")),
                message=f"empty namespaceSelector selects every namespace, so {pods} of every "
                f"tenant are allowed ({ref.direction})",
            )


def _netpol(ingress: list[Obj] | None = None, egress: list[Obj] | None = None) -> Obj:
    spec: Obj = {"podSelector": {"matchLabels": {"app": "vllm"}}, "policyTypes": ["Ingress", "Egress"]}
    spec["ingress"] = ingress or []
    spec["egress"] = egress or []
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": spec,
    }


RULE = Rule(
    id="NET002",
    slug="no-all-namespaces-peer",
    title="Tenant NetworkPolicies do not admit every namespace",
    category=Category.NETWORK,
    severity=Severity.ERROR,
    kinds=frozenset({"NetworkPolicy"}),
    fix="replace `namespaceSelector: {}` (or a missing from/to) with a podSelector, a namespaceSelector on "
    "your tenant label, or named namespaces",
    why="An all-namespaces peer undoes the default deny: every other tenant's pods can reach (or be reached "
    "by) the selected pods.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(
            object=_netpol(ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "router"}}}]}]),
            note="pods in the same namespace",
        ),
        Example(
            object=_netpol(
                ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"tenantguard.io/tenant": "acme"}}}]}]
            ),
            note="the tenant's own namespaces",
        ),
    ),
    denied=(
        Example(object=_netpol(ingress=[{"from": [{"namespaceSelector": {}}]}])),
        Example(
            object=_netpol(egress=[{"to": [{"namespaceSelector": {}, "podSelector": {}}]}]),
            note="with a podSelector: the matching pods in every namespace",
        ),
        Example(object=_netpol(ingress=[{"ports": [{"port": 8000}]}]), note="no `from`: every source"),
    ),
)
