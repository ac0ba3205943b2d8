"""RBAC: granting oneself a forbidden power (groups 1 and 7), binding what one should not, binding outsiders,
and going around RBAC with impersonation and tokens.

With the example role, Kubernetes' own escalation check refuses a Role or RoleBinding that grants more than
alice holds; with `escalate`/`bind` (the broad role) it no longer does, and RBAC001/RBAC002 must.
"""

from __future__ import annotations

import json

from tests.e2e.attacks.case import Act, Case, Needs
from tests.e2e.attacks.objects import (
    NS,
    RBAC,
    deployment,
    grant,
    group,
    pod_spec,
    role,
    rolebinding,
    service_account,
    user,
)
from tests.e2e.attacks.targets import READER_ROLE

SELF_GRANT = "1 leaving the policy: granting the power"
CLUSTER = "7 cluster-scoped RBAC"
SUBJECTS = "rolebinding subjects"
AROUND = "impersonation and tokens"


def _self_grant(case_id: str, what: str, *rules: dict[str, object]) -> Case:
    return Case(
        id=case_id,
        group=SELF_GRANT,
        what=what,
        manifest=role(case_id, *rules),
        rules=frozenset({"RBAC002"}),
        needs=Needs.BROAD,
    )


CASES = [
    _self_grant(
        "role-namespaces-status", "a Role granting namespaces/status", grant(["update"], ["namespaces/status"])
    ),
    _self_grant(
        "role-namespaces-finalize", "a Role granting namespaces/finalize", grant(["update"], ["namespaces/finalize"])
    ),
    _self_grant("role-star-status", "a Role granting */status in every group", grant(["patch"], ["*/status"], ["*"])),
    _self_grant("role-pods-status", "a Role granting pods/status", grant(["patch"], ["pods/status"])),
    _self_grant("role-namespace-patch", "a Role granting namespace patches", grant(["patch"], ["namespaces"])),
    _self_grant("role-everything", "a Role granting * on *", grant(["*"], ["*"], ["*"])),
    _self_grant("role-quota", "a Role granting quota writes", grant(["update", "patch"], ["resourcequotas"])),
    _self_grant(
        "role-endpointslices",
        "a Role granting EndpointSlice writes",
        grant(["create"], ["endpointslices"], ["discovery.k8s.io"]),
    ),
    _self_grant("role-impersonate-users", "a Role granting impersonation of users", grant(["impersonate"], ["users"])),
    _self_grant(
        "role-escalate-bind", "a Role granting escalate and bind", grant(["escalate", "bind"], ["roles"], [RBAC])
    ),
    _self_grant(
        "role-pods-binding",
        "a Role granting pods/binding (place pods on any node)",
        grant(["create"], ["pods/binding"]),
    ),
    Case(
        id="role-ingress-status",
        group=SELF_GRANT,
        what="a Role granting ingresses/status: no forbidden power, because the webhook judges what it can change",
        manifest=role("ingress-status", grant(["get", "update", "patch"], ["ingresses/status"], ["networking.k8s.io"])),
        needs=Needs.BROAD,
    ),
    Case(
        id="role-grows-a-power",
        group=SELF_GRANT,
        what="add namespaces/status to an existing harmless Role with a JSON patch",
        act=Act.PATCH,
        manifest=READER_ROLE,
        patch=json.dumps([{"op": "add", "path": "/rules/-", "value": grant(["update"], ["namespaces/status"])}]),
        patch_type="json",
        rules=frozenset({"RBAC002"}),
        needs=Needs.BROAD,
    ),
    Case(
        id="bind-cluster-admin",
        group=SELF_GRANT,
        what="bind cluster-admin in the namespace",
        manifest=rolebinding("ca", "ClusterRole", "cluster-admin"),
        rules=frozenset({"RBAC002"}),
        needs=Needs.BROAD,
    ),
    Case(
        id="bind-namespace-controller",
        group=SELF_GRANT,
        what="bind Kubernetes' namespace-controller role (namespace finalize and delete)",
        manifest=rolebinding("nsc", "ClusterRole", "system:controller:namespace-controller"),
        rules=frozenset({"RBAC002"}),
        needs=Needs.BROAD,
    ),
    Case(
        id="bind-admin",
        group=SELF_GRANT,
        what="bind Kubernetes' admin role (legitimate: a tenant administrator)",
        manifest=rolebinding("admins", "ClusterRole", "admin"),
        needs=Needs.BROAD,
    ),
    Case(
        id="bind-edit",
        group=SELF_GRANT,
        what="bind Kubernetes' edit role to the tenant's developers (legitimate)",
        manifest=rolebinding("editors", "ClusterRole", "edit"),
    ),
    Case(
        id="own-role",
        group=SELF_GRANT,
        what="a Role for the tenant's CI reading ConfigMaps and pod logs (legitimate)",
        manifest=role("ci-reader", grant(["get", "list"], ["configmaps", "pods/log"])),
    ),
    Case(
        id="clusterrole",
        group=CLUSTER,
        what="create a ClusterRole aggregated into edit",
        manifest={
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "sneaky-edit", "labels": {f"{RBAC}/aggregate-to-edit": "true"}},
            "rules": [grant(["update"], ["namespaces/status"])],
        },
        rules=frozenset({"RBAC004"}),
        forbidden_always=True,
    ),
    Case(
        id="clusterrolebinding",
        group=CLUSTER,
        what="bind view cluster-wide to the tenant's developers",
        manifest={
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "acme-devs-view"},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
            "subjects": [group("acme-devs")],
        },
        rules=frozenset({"RBAC003"}),
        forbidden_always=True,
    ),
]

CASES += [
    Case(
        id=f"bind-{case_id}",
        group=SUBJECTS,
        what=what,
        manifest=rolebinding(f"to-{case_id}", "ClusterRole", "view", subject),
        rules=frozenset(rules),
    )
    for case_id, what, subject, rules in [
        ("globex-group", "give globex's developers read access", group("globex-devs"), {"RBAC001"}),
        ("globex-user", "give bob (globex) read access", user("bob"), {"RBAC001"}),
        ("authenticated", "give every authenticated user read access", group("system:authenticated"), {"RBAC001"}),
        ("all-serviceaccounts", "give every ServiceAccount read access", group("system:serviceaccounts"), {"RBAC001"}),
        (
            "globex-sa",
            "give a globex ServiceAccount read access",
            service_account("default", "globex-prod"),
            {"RBAC001"},
        ),
        (
            "globex-sa-user",
            "the same ServiceAccount by its user name",
            user("system:serviceaccount:globex-prod:default"),
            {"RBAC001"},
        ),
        (
            "own-sa",
            "give the tenant's own ServiceAccount read access (legitimate)",
            service_account("robot", NS),
            set(),
        ),
    ]
]

_ROBOT = "system:serviceaccount:acme-dev:robot"
# A PEM certificate request is not judged before RBAC refuses the create: any base64 stands in for one.
_CSR = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0tCg=="
_HOST_NETWORK = deployment("as-robot", pod_spec(hostNetwork=True))
CASES += [
    Case(
        id="impersonate-own-sa",
        group=AROUND,
        what="impersonate the tenant's own ServiceAccount to create a Deployment on the host network",
        act=Act.RAW,
        args=("--as", _ROBOT, "apply", "--dry-run=server", "-f", "-"),
        manifest=_HOST_NETWORK,
        rules=frozenset({"PSS002"}),
    ),
    Case(
        id="impersonate-masters",
        group=AROUND,
        what="impersonate the group system:masters",
        act=Act.RAW,
        args=("--as", "alice", "--as-group", "system:masters", "get", "pods", "-n", NS),
        forbidden_always=True,
    ),
    Case(
        id="impersonate-controller",
        group=AROUND,
        what="impersonate the ReplicaSet controller (a platform identity)",
        act=Act.RAW,
        args=("--as", "system:serviceaccount:kube-system:replicaset-controller", "get", "pods", "-n", NS),
        forbidden_always=True,
    ),
    Case(
        id="impersonate-globex-user",
        group=AROUND,
        what="impersonate bob of globex",
        act=Act.RAW,
        args=("--as", "bob", "get", "pods", "-n", "globex-prod"),
        forbidden_always=True,
    ),
    Case(
        id="token-own-sa",
        group=AROUND,
        what="a token for the tenant's own ServiceAccount (legitimate)",
        act=Act.RAW,
        args=("create", "token", "robot", "-n", NS, "--duration=10m"),
    ),
    Case(
        id="token-kube-system",
        group=AROUND,
        what="a token for a kube-system controller's ServiceAccount",
        act=Act.RAW,
        args=("create", "token", "replicaset-controller", "-n", "kube-system"),
        forbidden_always=True,
    ),
    Case(
        id="token-globex",
        group=AROUND,
        what="a token for globex's default ServiceAccount",
        act=Act.RAW,
        args=("create", "token", "default", "-n", "globex-prod"),
        forbidden_always=True,
    ),
]

CASES += [
    Case(
        id="impersonate-kube-system-group",
        group=AROUND,
        what="impersonate the tenant's ServiceAccount in kube-system's ServiceAccount group (a platform group)",
        act=Act.RAW,
        args=("--as", _ROBOT, "--as-group", "system:serviceaccounts:kube-system", "get", "pods", "-n", NS),
        forbidden_always=True,
    ),
    Case(
        id="pods-binding",
        group=AROUND,
        what="bind a pod to a GPU node through pods/binding, around the scheduler (RBAC002 keeps it out of roles)",
        act=Act.RAW,
        args=("create", "--raw", f"/api/v1/namespaces/{NS}/pods/target/binding?dryRun=All", "-f", "-"),
        manifest={
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "target"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "kwok-gpu-h100-0"},
        },
        forbidden_always=True,
    ),
    Case(
        id="certificate-signing-request",
        group=AROUND,
        what="ask for a client certificate in the group system:masters",
        act=Act.RAW,
        args=("create", "--dry-run=server", "-f", "-"),
        manifest={
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": {"name": "alice-admin"},
            "spec": {
                "request": _CSR,
                "signerName": "kubernetes.io/kube-apiserver-client",
                "usages": ["client auth"],
            },
        },
        forbidden_always=True,
    ),
]

READS = "reading what is not the tenant's"
CASES += [
    Case(
        id=f"read-{case_id}",
        group=READS,
        what=what,
        act=Act.RAW,
        args=args,
        forbidden_always=True,
    )
    for case_id, what, args in [
        ("globex-secrets", "list globex's Secrets", ("get", "secrets", "-n", "globex-prod")),
        ("all-pods", "list every namespace's pods", ("get", "pods", "--all-namespaces")),
        ("namespaces", "list the namespaces", ("get", "namespaces")),
        ("tenants", "read the Tenants", ("get", "tenants.tenantguard.io")),
        (
            "node-proxy",
            "the kubelet's API through the node proxy",
            ("get", "--raw", "/api/v1/nodes/kwok-gpu-h100-0/proxy/pods"),
        ),
        (
            "debug-node",
            "kubectl debug node/… (a host-namespaced pod on the node)",
            ("debug", "node/kwok-gpu-h100-0", "-n", NS, "--image=registry.acme.example/debug:1"),
        ),
    ]
]
