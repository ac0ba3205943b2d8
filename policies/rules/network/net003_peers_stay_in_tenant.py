"""NET003 peers-stay-in-tenant — namespaceSelectors select only the tenant's own or allowed namespaces.

What it checks: every non-empty `namespaceSelector` in `spec.ingress[*].from` / `spec.egress[*].to` is pinned
by at least one requirement to known namespaces: the tenant label (`matchLabels` or `In`) equal to the tenant,
or `kubernetes.io/metadata.name` (`matchLabels` or `In`) naming allowed namespaces. Allowed are the tenant's
namespaces; for ingress also the settings' gateway namespaces and the Tenant's `network.allowIngressFrom`; for
egress also `kube-system` when every port of the rule is DNS (53). Selectors built only from other labels,
`NotIn`, `Exists` or `DoesNotExist` can match other tenants' namespaces and are denied.

Why it matters: a selector on a label such as `team: ml` matches any namespace that carries it, including
other tenants'; pinning to the tenant label (which TEN001 keeps correct) or to names keeps traffic inside.

Fix: select `tenantguard.io/tenant: <your tenant>` or list namespaces under `kubernetes.io/metadata.name` In.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.fields import mapping
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.network.peers import RuleRef, is_empty_selector, peers
from tenantguard.policies.subjects import Subject
from tenantguard.policies.tenancy import Tenant

NAME_LABEL = "kubernetes.io/metadata.name"
DNS_NAMESPACE = "kube-system"


def pinned(selector: Obj, tenant_label: str) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """(namespace names, tenant label values) the selector is limited to; None where it is not limited."""
    limits: dict[str, frozenset[str]] = {}
    labels = mapping(selector.get("matchLabels"))
    reqs: list[tuple[object, list[object]]] = [(k, [v]) for k, v in labels.items()]
    for e in selector.get("matchExpressions") or []:
        if isinstance(e, dict) and e.get("operator") == "In" and isinstance(e.get("values"), list):
            reqs.append((e.get("key"), e["values"]))
    for key, values in reqs:
        if isinstance(key, str) and key in (NAME_LABEL, tenant_label):
            got = frozenset(str(v) for v in values)
            limits[key] = limits[key] & got if key in limits else got
    return limits.get(NAME_LABEL), limits.get(tenant_label)


def _dns_only(rule: RuleRef) -> bool:
    ports = rule.rule.get("ports")
    return (
        isinstance(ports, list)
        and bool(ports)
        and all(
            isinstance(p, dict) and p.get("port") in (53, "dns", "dns-tcp") and p.get("endPort") in (None, 53)
            for p in ports
        )
    )


def _describe(selector: Obj) -> str:
    parts = [f"{k}={v}" for k, v in mapping(selector.get("matchLabels")).items()]
    for e in map(mapping, selector.get("matchExpressions") or []):
        parts.append(f"{e.get('key')} {e.get('operator')} {e.get('values') or ''}".rstrip())
    return ", ".join(parts)


def _judge(selector: Obj, rule: RuleRef, tenant: Tenant, ctx: Context) -> Iterator[str]:
    names, tenants = pinned(selector, ctx.label)
    if names is None and tenants is None:
        yield (
            f"selector ({_describe(selector)}) can match other tenants' namespaces; pin it with "
            f"{ctx.label}={tenant.name} or {NAME_LABEL} In [...]"
        )
        return
    if names is None:
        for other in sorted(tenants - {tenant.name} if tenants else ()):
            whose = "the namespaces of tenant" if other in ctx.tenants.by_name else "namespaces labelled for"
            yield f"selects {whose} {other!r}; only tenant {tenant.name!r} is allowed"
        return
    allowed = set(tenant.namespaces)
    if rule.direction == "ingress":
        allowed |= {*ctx.settings.gateway_namespaces, *tenant.ingress_from}
    elif _dns_only(rule):
        allowed.add(DNS_NAMESPACE)
    for ns in sorted(names):
        owner = ctx.tenants.owner_of.get(ns)
        if ns in allowed or (tenants is not None and owner not in tenants):
            continue  # allowed, or excluded by the tenant-label requirement beside it
        if owner is not None:
            yield f"selects namespace {ns!r} of tenant {owner!r} ({rule.direction})"
        elif ns == DNS_NAMESPACE and rule.direction == "egress":
            yield f"egress to {DNS_NAMESPACE!r} is allowed only on DNS port 53"
        else:
            yield f"namespace {ns!r} is not in tenant {tenant.name!r} nor allowed for {rule.direction}"


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    for ref in peers(subject.obj):
        selector = ref.peer.get("namespaceSelector")
        if isinstance(selector, dict) and not is_empty_selector(selector):  # empty: NET002
            path = dotted((*ref.path, "namespaceSelector"))
            for message in _judge(selector, ref.rule, ctx.tenant, ctx):
                yield Finding(path=path, message=message)


def _netpol(rule: Obj, direction: str = "ingress") -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"podSelector": {}, "policyTypes": [direction.capitalize()], direction: [rule]},
    }


def _ns(selector: Obj, direction: str = "ingress", **extra: object) -> Obj:
    side = "from" if direction == "ingress" else "to"
    return _netpol({side: [{"namespaceSelector": selector}], **extra}, direction)


RULE = Rule(
    id="NET003",
    slug="peers-stay-in-tenant",
    title="NetworkPolicy peers select only the tenant's own or allowed namespaces",
    category=Category.NETWORK,
    severity=Severity.ERROR,
    kinds=frozenset({"NetworkPolicy"}),
    fix="select namespaces by the tenant label equal to your tenant, or by kubernetes.io/metadata.name In "
    "your namespaces (ingress: also the gateway namespaces; egress: kube-system on port 53)",
    why="A namespaceSelector on an arbitrary label matches other tenants' namespaces and opens traffic "
    "between tenants.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_ns({"matchLabels": {"tenantguard.io/tenant": "acme"}})),
        Example(
            object=_ns(
                {"matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": ["acme-dev", "llm-gateway"]}]}
            ),
            note="gateway",
        ),
        Example(
            object=_ns(
                {"matchLabels": {NAME_LABEL: "kube-system"}},
                "egress",
                ports=[{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            ),
            note="DNS",
        ),
    ),
    denied=(
        Example(object=_ns({"matchLabels": {"team": "ml"}}), note="any namespace can carry the label"),
        Example(object=_ns({"matchLabels": {"tenantguard.io/tenant": "globex"}}), note="another tenant"),
        Example(object=_ns({"matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["acme-dev"]}]})),
        Example(object=_ns({"matchLabels": {NAME_LABEL: "globex-prod"}}, "egress"), note="egress to globex"),
    ),
)
