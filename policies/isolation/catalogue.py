"""The isolation checks: what the audit finds about the cluster as a whole, not about one object alone.

Rules (`policies.rules`) judge one object at admission, in the audit and in lint. These checks judge what the
objects add up to — who can reach whom under every NetworkPolicy, who may act where under every binding, which
pods run unprotected — so only the audit, which sees every object, can compute them. Each check is declared
once here with a stable ID (`ISO` prefix; an ID never changes meaning), a title stating the desired state, a
severity, what it checks, why it matters and how to fix it; `policies.isolation.findings` computes them and
docs/rules.md lists them (generated). Checks are ordered by impact: findings sort by severity, then this order
(so the order is not the IDs': a new check goes where its impact puts it, under the next free ID).
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantguard.policies.model import Severity

CATEGORY = "isolation"


@dataclass(frozen=True, slots=True, kw_only=True)
class IsolationCheck:
    id: str
    slug: str
    title: str
    severity: Severity
    reported_on: str  # the object a finding names
    what: str
    why: str
    fix: str

    @property
    def anchor(self) -> str:
        return f"{self.id.lower()}-{self.slug}"


CROSS_TENANT_PATH = IsolationCheck(
    id="ISO001",
    slug="cross-tenant-path",
    title="No pod of one tenant can open connections to another tenant's pods",
    severity=Severity.ERROR,
    reported_on="the destination Namespace",
    what="The NetworkPolicies of both ends, with their full semantics, let some pod of one tenant open a "
    "connection to some pod of another tenant on every port, or on a port a destination pod declares "
    "(`containerPort`). One finding per (source namespace, destination namespace).",
    why="A model server, cache or vector store reachable from another tenant serves that tenant's prompts, "
    "weights and data to it; nothing but NetworkPolicy keeps tenants' pods apart on the pod network.",
    fix="remove the policy that opens the path (the finding names it), or add the tenant's default deny "
    "(`podSelector: {}`, both policyTypes) where no policy isolates an end",
)
CROSS_TENANT_RBAC = IsolationCheck(
    id="ISO002",
    slug="cross-tenant-rbac",
    title="No subject of one tenant holds permissions in another tenant's namespaces",
    severity=Severity.ERROR,
    reported_on="the binding, in the namespace it exposes",
    what="A RoleBinding or ClusterRoleBinding grants a tenant's user, group or ServiceAccount (or a group that "
    "contains every tenant's, such as `system:authenticated`) verbs on namespaced resources in a namespace "
    "another tenant owns. One finding per subject, namespace and binding.",
    why="Read access to another tenant's Secrets, ConfigMaps or pods/exec hands over its model credentials "
    "and data; write access lets one tenant change another's deployments.",
    fix="delete the binding or remove the other tenant's subjects from it; bind only the namespace's own "
    "tenant's owners, members and ServiceAccounts",
)
NAMESPACE_POLICED = IsolationCheck(
    id="ISO003",
    slug="namespace-policed",
    title="Every namespace a Tenant lists carries that tenant's label",
    severity=Severity.ERROR,
    reported_on="the Namespace",
    what="A Namespace listed in a Tenant's `spec.namespaces` lacks the tenant label, or carries another "
    "tenant's name in it.",
    why="The admission webhooks select namespaces by the tenant label: without it nothing created there is "
    "labelled, mutated or judged, and the tenant's NetworkPolicies and quotas do not count it as the "
    "tenant's; with another tenant's name it is policed as that tenant's.",
    fix="label the namespace with its Tenant's name (`kubectl label namespace NS tenantguard.io/tenant=TENANT`)",
)
POD_DEFAULT_DENY = IsolationCheck(
    id="ISO004",
    slug="pod-default-deny",
    title="Every tenant pod is isolated for ingress and egress",
    severity=Severity.ERROR,
    reported_on="the Pod",
    what="No NetworkPolicy selects a running or pending pod of a tenant namespace for ingress and/or egress, "
    "so every connection in that direction is allowed.",
    why="An unisolated pod accepts connections from every pod in the cluster, other tenants' included, and "
    "can open connections to any of them: isolation then holds only as long as every other namespace "
    "happens to deny it.",
    fix="restore the namespace's baseline default deny (`podSelector: {}` with policyTypes Ingress and Egress; "
    "the reconciler writes it) and allow what the pod needs explicitly",
)
SERVING_POD_MTLS = IsolationCheck(
    id="ISO005",
    slug="serving-pod-mtls",
    title="Every serving pod is covered by mTLS",
    severity=Severity.ERROR,
    reported_on="the Pod",
    what="A pod that serves traffic in a tenant whose mTLS mode is not `none` runs without the mTLS sidecar "
    "(native mode) and without mesh injection (istio mode: the pod's `sidecar.istio.io/inject` label or the "
    "namespace's injection label).",
    why="Without mTLS a model server accepts plaintext from any client that can reach it and cannot tell one "
    "tenant's caller from another's; network policy alone is one mistake away from a leak.",
    fix="recreate the pod through its owner so that admission injects the sidecar (native), or enable "
    "injection for it (istio)",
)
CROSS_TENANT_PATH_UNDECLARED = IsolationCheck(
    id="ISO006",
    slug="cross-tenant-path-undeclared-ports",
    title="No connection across tenants is open, even on ports no pod declares",
    severity=Severity.WARNING,
    reported_on="the destination Namespace",
    what="As ISO001, but the path opens only specific ports on which none of the destination pods declares a "
    "`containerPort`.",
    why="`containerPort` is informational: a process may listen on a port it does not declare, and the next "
    "pod started in the namespace may declare it. The opening is a hole waiting for a listener.",
    fix="remove the rule that opens the ports to the other tenant",
)
NAMESPACE_DEFAULT_DENY = IsolationCheck(
    id="ISO007",
    slug="namespace-default-deny",
    title="Every tenant namespace isolates new pods for ingress and egress",
    severity=Severity.WARNING,
    reported_on="the Namespace",
    what="A pod started in the namespace with only the tenant label (what admission gives every pod) would "
    "not be isolated for ingress and/or egress: the namespace lacks its baseline default deny.",
    why="Pods that run now may each be covered by a policy of their own, but the next one is not; the "
    "platform's promise is that no one has to remember to add a NetworkPolicy.",
    fix="restore the baseline NetworkPolicies (default deny for ingress and egress with `podSelector: {}`; "
    "the reconciler writes and repairs them)",
)
EMPTY_NAMESPACE_REACHABLE = IsolationCheck(
    id="ISO008",
    slug="empty-namespace-isolated",
    title="A pod started in a tenant namespace without pods would be isolated from other tenants",
    severity=Severity.WARNING,
    reported_on="the Namespace",
    what="The namespace has no pods, so no path leads to or from it yet; a pod with only the tenant label, "
    "started there under the current policies, could be reached from, or could reach, another tenant's pods.",
    why="Isolation that holds only because a tenant has not deployed yet breaks with its first pod; the report "
    "must say what would be reachable rather than call the namespace isolated.",
    fix="add the namespace's default deny and remove rules that open it to other tenants before pods run there",
)

GENERATED_BASELINE = IsolationCheck(
    id="ISO009",
    slug="generated-baseline",
    title="Every tenant namespace has the baseline NetworkPolicies the platform generates, unchanged",
    severity=Severity.WARNING,
    reported_on="the Namespace",
    what="A NetworkPolicy the reconciler generates for the namespace (`policies/generated/netpols.py`: default "
    "deny, same tenant, DNS, ingress from the gateways, egress CIDRs) is missing or differs from what it "
    "generates, or a managed policy is there that the Tenant no longer asks for.",
    why="The reconciler restores its objects within seconds, so a difference means it is not running, or "
    "someone with platform rights edited the baseline: pods may be reachable where the Tenant says they are not, "
    "or cut off from DNS and the gateways; new pods there are refused (NET005) while a policy is missing.",
    fix="run the reconciler (`tenantguard controller`, or `serve --reconcile`): it rewrites and prunes them; "
    "add extra traffic with a policy of your own instead of editing the baseline",
)
EXPOSED_OUTSIDE_GATEWAY = IsolationCheck(
    id="ISO010",
    slug="exposed-outside-gateway",
    title="No tenant workload can be reached from outside the cluster except through the platform gateway",
    severity=Severity.ERROR,
    reported_on="the publishing object (Service, Ingress, route, NetworkPolicy) or the pod's workload",
    what="Something publishes a tenant's pods outside the cluster around the platform gateway (settings "
    "`gatewayNamespaces`): a Service of type NodePort or LoadBalancer or with `externalIPs`; an Ingress whose "
    "class the gateway does not serve (settings `network.gatewayIngressClasses`); a Gateway API route attached "
    "to a Gateway outside the gateway namespaces; a NetworkPolicy ingress ipBlock holding addresses outside "
    "the cluster (settings `network.clusterCIDRs`); a hostNetwork pod or a container `hostPort`, which listen "
    "on the node's addresses. One finding per publishing object (per rule and CIDR for a NetworkPolicy, per "
    "workload for pods).",
    why="The gateway is the single entry point for tenant requests: it authenticates callers, meters tokens and "
    "keeps one tenant's traffic from another's model. A model endpoint published beside it serves anyone who "
    "can reach the address, unauthenticated and unmetered.",
    fix="publish the endpoint with a ClusterIP Service and an HTTPRoute attached to the platform gateway; remove "
    "NodePort/LoadBalancer/externalIPs, foreign Gateways and Ingress classes, external ipBlocks, hostNetwork "
    "and hostPort",
)
HOST_NETWORK_POD = IsolationCheck(
    id="ISO011",
    slug="host-network-pod",
    title="No tenant pod runs in its node's network namespace",
    severity=Severity.ERROR,
    reported_on="the Pod",
    what="A pod of a tenant namespace sets `hostNetwork: true` (admitted by an exception, or before the policy "
    "existed). Most network plugins treat its traffic as its node's: no NetworkPolicy selects or isolates it, "
    "it reaches every pod on its node (traffic between a pod and its node is always allowed) and every pod whose "
    "policies admit the node's address.",
    why="NetworkPolicy is what keeps tenants apart on the pod network, and it does not apply to such a pod: "
    "it can connect to other tenants' model servers on its node and listen on the node's addresses.",
    fix="run it without hostNetwork, or as a platform component in an exempt namespace; if it must stay, keep "
    "the exception time-boxed and the workload on nodes no other tenant uses",
)

CHECKS: tuple[IsolationCheck, ...] = (
    CROSS_TENANT_PATH,
    CROSS_TENANT_RBAC,
    NAMESPACE_POLICED,
    POD_DEFAULT_DENY,
    SERVING_POD_MTLS,
    EXPOSED_OUTSIDE_GATEWAY,
    HOST_NETWORK_POD,
    CROSS_TENANT_PATH_UNDECLARED,
    NAMESPACE_DEFAULT_DENY,
    EMPTY_NAMESPACE_REACHABLE,
    GENERATED_BASELINE,
)
BY_ID = {check.id: check for check in CHECKS}
IMPACT = {check.id: index for index, check in enumerate(CHECKS)}
