"""The RBAC alice holds in acme-dev, switched between the corpus' profiles (least → broad → granted)."""

from __future__ import annotations

import json

from tests.e2e.attacks.case import Obj, Profile
from tests.e2e.attacks.objects import NS, RBAC, grant, group
from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import PLATFORM

BROAD = PLATFORM / "tenant-rbac-broad.yaml"
# What no platform should grant a tenant — and the webhook must hold when one does.
OVERGRANT: Obj = {
    "apiVersion": f"{RBAC}/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "attack-corpus-overgrant"},
    "rules": [
        grant(["get", "update", "patch"], ["namespaces", "namespaces/status", "namespaces/finalize"]),
        grant(["get", "update", "patch"], ["*/status"], ["*"]),
        grant(["*"], ["resourcequotas", "limitranges", "endpoints"]),
        grant(["*"], ["endpointslices"], ["discovery.k8s.io"]),
        grant(["*"], ["grpcroutes", "referencegrants"], ["gateway.networking.k8s.io"]),
    ],
}
OVERGRANT_BINDING: Obj = {
    "apiVersion": f"{RBAC}/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "attack-corpus-overgrant", "namespace": NS},
    "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "attack-corpus-overgrant"},
    "subjects": [group("acme-devs")],
}


def _can(cluster: DevCluster, *args: str) -> bool:
    proc = cluster.kubectl("auth", "can-i", *args, "-n", NS, user=True, check=False)
    return proc.stdout.strip() == "yes"


def _broad(cluster: DevCluster) -> bool:
    return _can(cluster, "escalate", "roles.rbac.authorization.k8s.io")


def _granted(cluster: DevCluster) -> bool:
    return _can(cluster, "patch", "namespaces", "--subresource=status")


class Profiles:
    def __init__(self, cluster: DevCluster) -> None:
        self.cluster = cluster
        self.current = Profile.LEAST
        labels = cluster.get("namespace", NS)["metadata"].get("labels") or {}
        self.namespace_psa_labelled = "pod-security.kubernetes.io/enforce" in labels

    def use(self, profile: Profile) -> None:
        if profile is self.current:
            return
        c = self.cluster
        want_broad = profile in (Profile.BROAD, Profile.GRANTED)
        want_granted = profile is Profile.GRANTED
        if want_broad:
            c.kubectl("apply", "-f", str(BROAD))
        else:
            c.kubectl("delete", "-f", str(BROAD), "--ignore-not-found")
        if want_granted:
            c.kubectl(
                "apply",
                "-f",
                "-",
                input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [OVERGRANT, OVERGRANT_BINDING]}),
            )
        else:
            c.kubectl("delete", "rolebinding", "attack-corpus-overgrant", "-n", NS, "--ignore-not-found")
        wait_for(lambda: _broad(c) == want_broad and _granted(c) == want_granted, what=f"alice's RBAC to be {profile}")
        self.current = profile

    def reset(self) -> None:
        self.use(Profile.LEAST)
        self.cluster.kubectl("delete", "clusterrole", "attack-corpus-overgrant", "--ignore-not-found")
