"""Leaving the policy (issue 15 group 1), managed objects (group 2) and tenant-label tricks.

The targets of patches and deletes (`targets.py`) exist in acme-dev; every request is a dry run.
"""

from __future__ import annotations

import json

from tests.e2e.attacks.case import Act, Case, Needs
from tests.e2e.attacks.objects import NS, container, deployment, meta, pod, pod_spec
from tests.e2e.attacks.targets import (
    MANAGED_NETPOL,
    MANAGED_QUOTA,
    NAMESPACE,
    TARGET_DEPLOYMENT,
    TARGET_INGRESS,
    TARGET_POD,
)

LABEL = "tenantguard.io/tenant"
MANAGED = "tenantguard.io/managed"


UNLABEL = json.dumps({"metadata": {"labels": {LABEL: None}}})
TO_GLOBEX = json.dumps({"metadata": {"labels": {LABEL: "globex"}}})
FINALIZE_UNLABELLED = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": NS, "labels": {"kubernetes.io/metadata.name": NS}},
    "spec": {"finalizers": ["kubernetes"]},
}


def _configmap(name: str, **labels: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, **labels), "data": {"k": "v"}}


LEAVING = "1 leaving the policy"
CASES = [
    Case(
        id="ns-status-unlabel",
        group=LEAVING,
        what="remove the namespace's tenant label through namespaces/status",
        act=Act.PATCH,
        manifest=NAMESPACE,
        patch=UNLABEL,
        patch_type="merge",
        subresource="status",
        rules=frozenset({"TEN001", "TEN003"}),
        unless_psa_labelled=frozenset({"PSS020"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="ns-status-relabel",
        group=LEAVING,
        what="move the namespace to globex through namespaces/status",
        act=Act.PATCH,
        manifest=NAMESPACE,
        patch=TO_GLOBEX,
        patch_type="merge",
        subresource="status",
        rules=frozenset({"TEN001", "TEN003"}),
        unless_psa_labelled=frozenset({"PSS020"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="ns-finalize-unlabel",
        group=LEAVING,
        what="PUT namespaces/finalize with the tenant label gone",
        act=Act.RAW,
        args=("replace", "--raw", f"/api/v1/namespaces/{NS}/finalize?dryRun=All", "-f", "-"),
        manifest=FINALIZE_UNLABELLED,
        # the PUT replaces every label: the Pod Security labels go too, labelled namespace or not
        rules=frozenset({"TEN001", "TEN003", "PSS020"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="ns-relabel",
        group=LEAVING,
        what="move the namespace to globex with a plain patch",
        act=Act.PATCH,
        manifest=NAMESPACE,
        patch=TO_GLOBEX,
        patch_type="merge",
        rules=frozenset({"TEN001", "TEN003"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="ns-json-patch-unlabel",
        group=LEAVING,
        what="remove the namespace's tenant label with a JSON patch: the mutation puts it back",
        act=Act.PATCH,
        manifest=NAMESPACE,
        patch=json.dumps([{"op": "remove", "path": "/metadata/labels/tenantguard.io~1tenant"}]),
        patch_type="json",
        needs=Needs.GRANTED,
    ),
    Case(
        id="pod-status-relabel",
        group=LEAVING,
        what="relabel a pod into globex through pods/status",
        act=Act.PATCH,
        manifest=TARGET_POD,
        patch=TO_GLOBEX,
        patch_type="merge",
        subresource="status",
        rules=frozenset({"TEN003", "TEN004"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="deployment-status-relabel",
        group=LEAVING,
        what="relabel a Deployment through deployments/status: the apps status strategies keep the stored labels",
        act=Act.PATCH,
        manifest=TARGET_DEPLOYMENT,
        patch=TO_GLOBEX,
        patch_type="merge",
        subresource="status",
        needs=Needs.GRANTED,
    ),
]

CASES += [
    Case(
        id="ingress-status-snippet",
        group=LEAVING,
        what="add an ingress-nginx snippet to an Ingress through ingresses/status (annotations survive status writes)",
        act=Act.PATCH,
        manifest=TARGET_INGRESS,
        patch=json.dumps(
            {
                "metadata": {
                    "annotations": {
                        "nginx.ingress.kubernetes.io/server-snippet": "proxy_pass http://vllm.globex-prod.svc;"
                    }
                }
            }
        ),
        patch_type="merge",
        subresource="status",
        rules=frozenset({"SRV012"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="pod-status-cdi-annotation",
        group=LEAVING,
        what="add a CDI device annotation to a running pod through pods/status",
        act=Act.PATCH,
        manifest=TARGET_POD,
        patch=json.dumps({"metadata": {"annotations": {"cdi.k8s.io/gpu": "nvidia.com/gpu=all"}}}),
        patch_type="merge",
        subresource="status",
        rules=frozenset({"GPU012"}),
        needs=Needs.GRANTED,
    ),
]

MANAGED_GROUP = "2 managed objects"
CASES += [
    Case(
        id="managed-netpol-unlabel",
        group=MANAGED_GROUP,
        what="take the managed label off the baseline NetworkPolicy (to delete it next)",
        act=Act.PATCH,
        manifest=MANAGED_NETPOL,
        patch=json.dumps([{"op": "remove", "path": "/metadata/labels/tenantguard.io~1managed"}]),
        patch_type="json",
        rules=frozenset({"NET001"}),
    ),
    Case(
        id="managed-netpol-open",
        group=MANAGED_GROUP,
        what="rewrite the baseline default deny to allow all ingress",
        act=Act.PATCH,
        manifest=MANAGED_NETPOL,
        patch=json.dumps({"spec": {"ingress": [{}]}}),
        patch_type="merge",
        rules=frozenset({"NET001", "NET002"}),
    ),
    Case(
        id="managed-netpol-delete",
        group=MANAGED_GROUP,
        what="delete the baseline NetworkPolicy",
        act=Act.DELETE,
        manifest=MANAGED_NETPOL,
        rules=frozenset({"NET001"}),
    ),
    Case(
        id="managed-netpol-lookalike",
        group=MANAGED_GROUP,
        what="create a look-alike baseline policy (tenantguard- name) that allows everything",
        manifest={
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta("tenantguard-allow-all"),
            "spec": {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]},
        },
        rules=frozenset({"NET001", "NET002"}),
    ),
    Case(
        id="managed-label-spoof",
        group=MANAGED_GROUP,
        what="create a ConfigMap carrying the managed label, to pass as the platform's",
        manifest=_configmap("spoof", **{MANAGED: "true"}),
        rules=frozenset({"TEN005"}),
        manifest_verdict=False,  # the audit cannot tell who wrote a stored object: it takes the label's word
    ),
    Case(
        id="managed-quota-raise",
        group=MANAGED_GROUP,
        what="raise the GPU quota the platform wrote (the backstop of the GPU caps)",
        act=Act.PATCH,
        manifest=MANAGED_QUOTA,
        patch=json.dumps({"spec": {"hard": {"requests.nvidia.com/gpu": "64"}}}),
        patch_type="merge",
        rules=frozenset({"TEN005"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="managed-quota-unlabel",
        group=MANAGED_GROUP,
        what="take the managed label off the GPU quota",
        act=Act.PATCH,
        manifest=MANAGED_QUOTA,
        patch=json.dumps({"metadata": {"labels": {MANAGED: None}}}),
        patch_type="merge",
        rules=frozenset({"TEN005"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="managed-quota-delete",
        group=MANAGED_GROUP,
        what="delete the GPU quota",
        act=Act.DELETE,
        manifest=MANAGED_QUOTA,
        rules=frozenset({"TEN005"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="own-quota",
        group=MANAGED_GROUP,
        what="a quota of the tenant's own (quotas only ever restrict: every quota must hold)",
        manifest={
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta("my-pods"),
            "spec": {"hard": {"pods": "50"}},
        },
        needs=Needs.GRANTED,
    ),
]

LABELS = "tenant label tricks"
CASES += [
    Case(
        id="configmap-globex-label",
        group=LABELS,
        what="a ConfigMap labelled as globex's",
        manifest=_configmap("prompts", **{LABEL: "globex"}),
        rules=frozenset({"TEN004"}),
    ),
    Case(
        id="template-globex-label",
        group=LABELS,
        what="a Deployment whose pods would be labelled as globex's",
        manifest={
            **deployment("hop"),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "hop"}},
                "template": {"metadata": {"labels": {"app": "hop", LABEL: "globex"}}, "spec": pod_spec()},
            },
        },
        rules=frozenset({"TEN004"}),
    ),
    Case(
        id="generate-name-globex-label",
        group=LABELS,
        what="kubectl create with generateName and the globex label",
        act=Act.CREATE,
        manifest={
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"generateName": "gen-", "namespace": NS, "labels": {LABEL: "globex"}},
            "spec": pod_spec(),
        },
        rules=frozenset({"TEN004"}),
    ),
    Case(
        id="pod-relabel-merge",
        group=LABELS,
        what="move a pod into globex's NetworkPolicy peers with a merge patch",
        act=Act.PATCH,
        manifest=TARGET_POD,
        patch=TO_GLOBEX,
        patch_type="merge",
        rules=frozenset({"TEN003", "TEN004"}),
    ),
    Case(
        id="pod-relabel-strategic",
        group=LABELS,
        what="the same with a strategic merge patch",
        act=Act.PATCH,
        manifest=TARGET_POD,
        patch=TO_GLOBEX,
        rules=frozenset({"TEN003", "TEN004"}),
    ),
    Case(
        id="pod-relabel-json",
        group=LABELS,
        what="the same with a JSON patch",
        act=Act.PATCH,
        manifest=TARGET_POD,
        patch=json.dumps([{"op": "replace", "path": "/metadata/labels/tenantguard.io~1tenant", "value": "globex"}]),
        patch_type="json",
        rules=frozenset({"TEN003", "TEN004"}),
    ),
    Case(
        id="pod-unlabel-json",
        group=LABELS,
        what="remove a pod's tenant label: the mutation puts it back",
        act=Act.PATCH,
        manifest=TARGET_POD,
        patch=json.dumps([{"op": "remove", "path": "/metadata/labels/tenantguard.io~1tenant"}]),
        patch_type="json",
    ),
    Case(
        id="pod-relabel-server-side",
        group=LABELS,
        what="server-side apply of the pod with the globex label, forcing conflicts",
        act=Act.RAW,
        args=("apply", "--server-side", "--force-conflicts", "--field-manager=alice", "--dry-run=server", "-f", "-"),
        manifest={
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": TARGET_POD["metadata"]["name"], "namespace": NS, "labels": {LABEL: "globex"}},
        },
        rules=frozenset({"TEN003", "TEN004"}),
    ),
    Case(
        id="template-relabel",
        group=LABELS,
        what="relabel a Deployment's pod template into globex",
        act=Act.PATCH,
        manifest=TARGET_DEPLOYMENT,
        patch=json.dumps({"spec": {"template": {"metadata": {"labels": {LABEL: "globex"}}}}}),
        rules=frozenset({"TEN004"}),
    ),
    Case(
        id="kubectl-label-overwrite",
        group=LABELS,
        what="kubectl label --overwrite of the tenant label",
        act=Act.RAW,
        args=(
            "label",
            "pod",
            TARGET_POD["metadata"]["name"],
            "-n",
            NS,
            f"{LABEL}=globex",
            "--overwrite",
            "--dry-run=server",
        ),
        rules=frozenset({"TEN003", "TEN004"}),
    ),
    Case(
        id="real-create-denied",
        group=LABELS,
        what="the same globex-labelled ConfigMap without dry run: denied, nothing stored",
        manifest=_configmap("prompts-real", **{LABEL: "globex"}),
        rules=frozenset({"TEN004"}),
        dry_run=False,
    ),
    Case(
        id="pod-own-label",
        group=LABELS,
        what="a pod with its own tenant label and a generateName (legitimate)",
        act=Act.CREATE,
        manifest={
            **pod("x", pod_spec(container())),
            "metadata": {"generateName": "own-", "namespace": NS, "labels": {LABEL: "acme"}},
        },
    ),
]

CASES += [
    Case(
        id="managed-netpol-delete-all",
        group=MANAGED_GROUP,
        what="kubectl delete networkpolicies --all (one DELETE per policy)",
        act=Act.RAW,
        args=("delete", "networkpolicies", "--all", "-n", NS, "--dry-run=server"),
        rules=frozenset({"NET001"}),
    ),
    Case(
        id="managed-netpol-delete-collection",
        group=MANAGED_GROUP,
        what="DELETE on the NetworkPolicy collection (deletecollection)",
        act=Act.RAW,
        args=("delete", "--raw", f"/apis/networking.k8s.io/v1/namespaces/{NS}/networkpolicies?dryRun=All"),
        rules=frozenset({"NET001"}),
    ),
    Case(
        id="managed-quota-delete-collection",
        group=MANAGED_GROUP,
        what="DELETE on the ResourceQuota collection",
        act=Act.RAW,
        args=("delete", "--raw", f"/api/v1/namespaces/{NS}/resourcequotas?dryRun=All"),
        rules=frozenset({"TEN005"}),
        needs=Needs.GRANTED,
    ),
]

CASES += [
    Case(
        id="becomes-managed",
        group=MANAGED_GROUP,
        what="label one's own pod managed, so the audit would take it for the platform's",
        act=Act.PATCH,
        manifest=TARGET_POD,
        patch=json.dumps({"metadata": {"labels": {MANAGED: "true"}}}),
        patch_type="merge",
        rules=frozenset({"TEN005"}),
    ),
]
