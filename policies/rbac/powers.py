"""The powers no tenant may hold, written once, and which of them an RBAC rule grants.

Each power is the set of requests — verbs on an apiGroup's resources or subresources — that would let a tenant
step out of its tenant or switch off a control. A rule holds a power when kube-apiserver's RBAC authorizer
(policies/rbac/rules.py) would allow it one of those requests, so `*` verbs, apiGroup `*`, resource `*`,
`*/status` and subresources are caught by construction rather than by listing spellings. In a power's
resources `<key>` stands for any subresource (`userextras/<key>`, `nodes/<key>`).

Impersonating ServiceAccounts is not a forbidden power: Kubernetes' `edit` and `admin` grant `impersonate` on
serviceaccounts, a Role reaches only the ServiceAccounts of its own namespace, and a tenant that may create
pods and `serviceaccounts/token` (as `edit` may) can act as those ServiceAccounts anyway. Impersonating users,
groups, uids, user extras and nodes — legacy `impersonate` and the constrained-impersonation verbs of
Kubernetes 1.35+ — is forbidden. NetworkPolicies stay writable: tenants write their own, and NET001 protects
the managed ones at admission.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from tenantguard.policies.rbac.rules import ALL, PolicyRule

ANY = "<key>"
WRITE = ("create", "update", "patch", "delete", "deletecollection")
UPDATE = ("update", "patch")
EVERY_VERB = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy")
CORE, RBAC, AUTHN = "", "rbac.authorization.k8s.io", "authentication.k8s.io"


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    verbs: tuple[str, ...]
    group: str
    resources: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Power:
    name: str
    does: str  # what the holder could do, for messages
    why: str  # for the docs
    access: tuple[Access, ...]
    by_verb: bool = False  # the verb is the power (escalate, bind, impersonate): the fix removes a verb

    @property
    def remove(self) -> str:
        return "verbs" if self.by_verb else "resources"


def _power(name: str, does: str, why: str, *access: Access, by_verb: bool = False) -> Power:
    return Power(name=name, does=does, why=why, access=access, by_verb=by_verb)


# fmt: off
FORBIDDEN: tuple[Power, ...] = (
    _power("namespace-writes", "rewrites its own Namespace (tenant and Pod Security labels)",
           "A Role applies to its own Namespace object, and the status and finalize subresources keep the "
           "labels they are sent; subresource writes never reach the webhook.",
           Access(verbs=WRITE, group=CORE, resources=("namespaces",)),
           Access(verbs=UPDATE, group=CORE, resources=("namespaces/status", "namespaces/finalize"))),
    _power("pod-status-writes", "relabels pods past admission",
           "A pods/status update keeps the labels it is sent and is not judged by the webhook; labels decide "
           "which NetworkPolicies and Services select a pod.",
           Access(verbs=UPDATE, group=CORE, resources=("pods/status",))),
    _power("service-status-writes", "sets LoadBalancer ingress IPs that kube-proxy routes to its pods",
           "Writing services/status lets a Service claim any IP as its load balancer's and intercept traffic "
           "to it (CVE-2020-8554); it also relabels the Service past admission.",
           Access(verbs=UPDATE, group=CORE, resources=("services/status",))),
    _power("quota-writes", "raises or removes the namespace's ResourceQuota, the GPU backstop",
           "The reconciler writes each tenant namespace's ResourceQuota with the tenant's GPU caps; it is the "
           "hard limit when GPU pods are admitted in the same instant.",
           Access(verbs=WRITE, group=CORE, resources=("resourcequotas",)),
           Access(verbs=UPDATE, group=CORE, resources=("resourcequotas/status",))),
    _power("limit-range-writes", "changes the namespace's LimitRange defaults and bounds",
           "LimitRanges are the platform's per-namespace defaults and bounds; Kubernetes' edit and admin "
           "leave them, like quotas, read-only.",
           Access(verbs=WRITE, group=CORE, resources=("limitranges",))),
    _power("endpoint-writes", "points a Service at any IP, such as another tenant's pods",
           "Endpoints and EndpointSlices of a tenant's Services come from Kubernetes' controllers; hand-written "
           "ones can send a Service's traffic to another tenant's pod IPs (CVE-2021-25740).",
           Access(verbs=WRITE, group=CORE, resources=("endpoints",)),
           Access(verbs=WRITE, group="discovery.k8s.io", resources=("endpointslices",))),
    _power("pod-binding", "puts pods on a node of its choice, past the scheduler",
           "A Binding assigns a pod to a node; writing it skips taints, affinity and the GPU node isolation "
           "the scheduler enforces.",
           Access(verbs=("create",), group=CORE, resources=("pods/binding", "bindings"))),
    _power("escalate", "writes roles with permissions it does not hold",
           "Kubernetes lets a holder of `escalate` create or update a Role with any permission — then bind it.",
           Access(verbs=("escalate",), group=RBAC, resources=("roles", "clusterroles")), by_verb=True),
    _power("bind", "binds roles with permissions it does not hold",
           "Kubernetes lets a holder of `bind` bind any role, such as cluster-admin, in its namespace.",
           Access(verbs=("bind",), group=RBAC, resources=("roles", "clusterroles")), by_verb=True),
    _power("impersonate", "acts as another user, group or node",
           "Impersonation carries every permission of the impersonated identity. ServiceAccounts are the "
           "exception (see above).",
           Access(verbs=("impersonate",), group=CORE, resources=("users", "groups")),
           Access(verbs=("impersonate",), group=AUTHN, resources=("uids", f"userextras/{ANY}")),
           Access(verbs=("impersonate:user-info",), group=AUTHN,
                  resources=("users", "groups", "uids", f"userextras/{ANY}")),
           Access(verbs=("impersonate:arbitrary-node", "impersonate:associated-node"), group=AUTHN,
                  resources=("nodes",)), by_verb=True),
    _power("node-access", "reaches nodes and the kubelet API (every pod on the node)",
           "nodes/proxy reaches the kubelet API, which runs commands in every pod of the node; nodes belong "
           "to the platform.",
           Access(verbs=EVERY_VERB, group=CORE, resources=("nodes", f"nodes/{ANY}"))),
    _power("crd-writes", "changes cluster-wide APIs every tenant shares",
           "CustomResourceDefinitions are cluster-scoped: one change rewrites the schema or conversion of "
           "every tenant's objects.",
           Access(verbs=WRITE, group="apiextensions.k8s.io", resources=("customresourcedefinitions",))),
    _power("admission-writes", "changes or removes admission control, this webhook included",
           "Webhook configurations and admission policies decide what every tenant may create.",
           Access(verbs=WRITE, group="admissionregistration.k8s.io", resources=(
               "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies",
               "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
           ))),
    _power("tenant-writes", "rewrites Tenants: their namespaces, members and GPU allowance",
           "Tenant objects are the platform's record of who owns what.",
           Access(verbs=WRITE, group="tenantguard.io", resources=("tenants",)),
           Access(verbs=UPDATE, group="tenantguard.io", resources=("tenants/status",))),
)
# fmt: on
BY_NAME = {p.name: p for p in FORBIDDEN}


@dataclass(frozen=True, slots=True, kw_only=True)
class Held:
    """A forbidden power one rule grants: which of its verbs, on which resources, through which entries."""

    power: Power
    verbs: tuple[str, ...]
    resources: tuple[str, ...]
    through: tuple[str, ...]  # the rule's `verbs` (by_verb powers) or `resources` entries that grant it


@lru_cache(maxsize=4096)
def held(rule: PolicyRule) -> tuple[Held, ...]:
    """Every forbidden power the rule grants, in FORBIDDEN's order (memoised: audits repeat rules)."""
    found = (_holds(rule, p) for p in FORBIDDEN)
    return tuple(h for h in found if h is not None)


def _holds(rule: PolicyRule, power: Power) -> Held | None:
    verbs: dict[str, None] = {}
    resources: dict[str, None] = {}
    through: dict[str, None] = {}
    for access in power.access:
        if ALL not in rule.api_groups and access.group not in rule.api_groups:
            continue
        allowed = [v for v in access.verbs if (ALL in rule.verbs or v in rule.verbs) and rule.matches_name(v, None)]
        for resource in access.resources if allowed else ():
            base, _, sub = resource.partition("/")
            entries = rule.subresource_entries(base) if sub == ANY else rule.resource_entries(resource)
            if not entries:
                continue
            verbs.update(dict.fromkeys(allowed))
            resources.update(dict.fromkeys(_shown(base, e) for e in entries) if sub == ANY else {resource: None})
            if power.by_verb:
                through.update(dict.fromkeys(v for v in rule.verbs if v == ALL or v in allowed))
            else:
                through.update(dict.fromkeys(entries))
    if not verbs:
        return None
    return Held(power=power, verbs=tuple(verbs), resources=tuple(resources), through=tuple(sorted(through)))


def _shown(base: str, entry: str) -> str:
    """How an entry that reaches some subresource of `base` reads: `*/proxy` on nodes is `nodes/proxy`."""
    if entry == ALL:
        return f"{base}/{ANY}"
    return f"{base}/{entry.partition('/')[2]}"


def describe(power: Power) -> str:
    """`verbs on resources` of every access, for the docs."""
    parts = []
    for a in power.access:
        group = a.group or "core"
        resources = ", ".join(f"`{r}`" for r in a.resources)
        parts.append(f"{', '.join(a.verbs)} on {resources} ({group})")
    return "; ".join(parts)


def markdown() -> str:
    """The forbidden powers as a Markdown table (docs/rules.md, under RBAC002)."""
    rows = ["| power | requests | why |", "|---|---|---|"]
    rows += [f"| `{p.name}` | {describe(p)} | {p.does}: {p.why} |" for p in FORBIDDEN]
    return "\n".join(rows)
