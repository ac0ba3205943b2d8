"""The tenantguard demo, on the embedded local control plane (`make demo`).

1. `tenantguard dev-cluster up`: etcd, kube-apiserver, controller-manager, scheduler, KWOK GPU/MIG nodes.
2. The platform before any tenant exists: the Tenant CRD, Istio's PeerAuthentication CRD (no mesh runs: the
   API is what globex's istio mode needs from the platform), `tenantguard controller` (the reconciler) and
   `tenantguard serve` in cluster mode, registered as mutating and validating webhook (fail closed).
3. Two tenants (acme: restricted, GPUs, native mTLS; globex: baseline, istio), their namespaces and the
   tenant developers' RBAC — labelled at admission; every tenant namespace gets its baseline NetworkPolicies,
   GPU quotas, workload certificates (native) or PeerAuthentication (istio); a policy an admin deletes comes
   back.
4. As alice (acme-devs): a correct vLLM Deployment is admitted, mutated (tenant label, mTLS sidecar) and runs
   on a simulated H100; wrong manifests are denied at `kubectl apply` with the rule IDs (a Pod by Pod Security
   Admission first, which the reconciler's namespace labels turn on); a managed policy cannot be deleted.
5. The same rules in CI: `tenantguard lint` over the example manifests.
6. The audit of the live cluster: JSON, Markdown and HTML reports in ./out/.

The cluster keeps running afterwards (`tenantguard dev-cluster down` removes it), with what the reconciler
generated; the webhook is unregistered and stopped and the reconciler stopped, so the cluster stays usable.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tenantguard.devcluster import cluster  # noqa: E402
from tenantguard.devcluster.layout import default_state_dir  # noqa: E402
from tests.corpus import objects  # noqa: E402
from tests.support import webhook_runner  # noqa: E402
from tests.support.devcluster import DevCluster, wait_for  # noqa: E402
from tests.support.reconciler_runner import ControllerProcess  # noqa: E402

EXE = Path(sys.executable).with_name("tenantguard")
OUT = ROOT / "out"
ISTIO_CRDS = ROOT / "tests/e2e/crds/istio/istio-security.istio.io_peerauthentications_authorizationpolicies.yaml"


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def show(cmd: str, proc: subprocess.CompletedProcess[str]) -> None:
    print(f"$ {cmd}")
    text = (proc.stdout + proc.stderr).strip()
    print("\n".join("  " + line for line in text.splitlines()[:25]))


def apply_as_alice(dev: DevCluster, obj: dict[str, Any], what: str) -> subprocess.CompletedProcess[str]:
    proc = dev.kubectl("apply", "-f", "-", input=json.dumps(obj), user=True, check=False)
    show(f"kubectl apply -f {what}   # as alice (group acme-devs)", proc)
    return proc


def main() -> int:
    step("1. Local control plane (built from Go modules on first use; reused afterwards)")
    started = time.monotonic()
    info = cluster.up(default_state_dir(), timeout=180, log=lambda m: print(f"  {m}", flush=True))
    dev = DevCluster.from_info(info)
    print(f"  ready in {time.monotonic() - started:.1f} s — KUBECONFIG={info.kubeconfig}")
    show("kubectl get nodes -L nvidia.com/gpu.product", dev.kubectl("get", "nodes", "-L", "nvidia.com/gpu.product"))

    step("2. The platform: the Tenant API, the reconciler and the admission webhook, before any tenant exists")

    def wait_namespace(ns: str) -> None:
        wait_for(
            lambda: dev.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0,
            what=f"ServiceAccount {ns}/default",
        )

    webhook_runner.install_apis(dev.kubectl)
    dev.kubectl("apply", "--server-side", "-f", str(ISTIO_CRDS))
    reconciler = ControllerProcess(
        kubeconfig=info.kubeconfig, work_dir=info.state_dir / "demo-reconciler", identity="demo", resync=300
    )
    reconciler.stop()
    reconciler.start()
    print(f"  tenantguard controller (the reconciler) running; logs in {reconciler.log_file}")
    hook = webhook_runner.WebhookProcess(kubeconfig=info.kubeconfig, work_dir=info.state_dir / "demo-webhook")
    hook.stop()
    hook.start()
    dev.kubectl("apply", "-f", "-", input=hook.configurations_yaml())
    print(f"  tenantguard serve (the webhook, fail closed for tenant namespaces) on {hook.url}")
    print(f"  logs: {hook.log_file}")

    try:
        step("3. Tenants, namespaces and tenant RBAC: what the reconciler generates for them, and repairs")
        webhook_runner.seed_tenants(dev.kubectl, wait_namespace)
        run_reconciler(dev)
        run_admission(dev)
        proc = dev.kubectl(
            "delete", "networkpolicy", "tenantguard-default-deny", "-n", "acme-prod", user=True, check=False
        )
        show("kubectl delete networkpolicy tenantguard-default-deny -n acme-prod   # as alice", proc)
        step("5. The same rules in CI: tenantguard lint")
        lint = subprocess.run(
            [str(EXE), "lint", str(ROOT / "examples" / "manifests"), "--tenants", str(ROOT / "examples" / "tenants")],
            capture_output=True,
            text=True,
            check=False,
        )
        show("tenantguard lint examples/manifests --tenants examples/tenants", lint)
        bad = copy.deepcopy(objects("vllm-gpu.yaml")[0])
        bad["spec"]["template"]["spec"]["containers"][0]["args"] = ["--model", "s3://globex-models/llama/"]
        bad["spec"]["template"]["spec"]["hostIPC"] = True
        lint = subprocess.run(
            [str(EXE), "lint", "-", "--tenants", str(ROOT / "examples" / "tenants")],
            input=json.dumps(bad),
            capture_output=True,
            text=True,
            check=False,
        )
        show(f"tenantguard lint - < broken-vllm.json   # exit {lint.returncode}", lint)
        step("6. Audit of the live cluster")
        OUT.mkdir(exist_ok=True)
        for fmt, suffix in (("json", "json"), ("markdown", "md"), ("html", "html")):
            audit = subprocess.run(
                [
                    str(EXE),
                    "audit",
                    "--kubeconfig",
                    str(info.kubeconfig),
                    "--format",
                    fmt,
                    "--output",
                    str(OUT / f"audit.{suffix}"),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if audit.returncode not in (0, 1):
                print(f"  audit --format {fmt} failed ({audit.returncode}): {audit.stderr.strip()[:500]}")
        report_file = OUT / "audit.json"
        if report_file.exists():
            report = json.loads(report_file.read_text())
            print(f"  {report['summary']}")
            print(f"  reachability: {json.dumps(report['isolation']['reachability']['tenants'])}")
            uncovered = report["isolation"]["reachability"]["uncoveredPods"]
            print(f"  pods without a default deny in tenant namespaces: {len(uncovered)}")
            print(f"  reports: {OUT}/audit.json, audit.md, audit.html (open the HTML in a browser)")
    finally:
        dev.kubectl(
            "delete",
            "mutatingwebhookconfiguration,validatingwebhookconfiguration",
            "tenantguard",
            "--ignore-not-found",
            check=False,
        )
        hook.stop()
        reconciler.stop()
    step("Done")
    print(f"  The cluster keeps running: export KUBECONFIG={info.kubeconfig}")
    print(f"  As alice:                  export KUBECONFIG={info.user_kubeconfig}")
    print("  Remove it:                 .venv/bin/tenantguard dev-cluster down")
    return 0


def run_reconciler(dev: DevCluster) -> None:
    for ns in ("acme-prod", "acme-dev", "globex-prod"):
        dev.wait_for_baseline(ns)
    wait_for(
        lambda: all(t.get("status", {}).get("namespaces", {}).get("summary") for t in dev.get("tenants")["items"]),
        what="the Tenants' status",
    )
    show("kubectl get tenants", dev.kubectl("get", "tenants"))
    show("kubectl get networkpolicy -n acme-prod", dev.kubectl("get", "networkpolicy", "-n", "acme-prod"))
    show(
        "kubectl get resourcequota tenantguard-gpu -n acme-prod",
        dev.kubectl("get", "resourcequota", "tenantguard-gpu", "-n", "acme-prod"),
    )
    show(
        "kubectl get secret -n acme-prod -l tenantguard.io/managed=true   # the sidecar's certificate",
        dev.kubectl("get", "secret", "-n", "acme-prod", "-l", "tenantguard.io/managed=true"),
    )
    show("kubectl get peerauthentication -n globex-prod", dev.kubectl("get", "peerauthentication", "-n", "globex-prod"))
    started = time.monotonic()
    show(
        "kubectl delete networkpolicy tenantguard-default-deny -n acme-prod   # as admin",
        dev.kubectl("delete", "networkpolicy", "tenantguard-default-deny", "-n", "acme-prod"),
    )
    dev.wait_for_baseline("acme-prod")
    print(f"  restored by the reconciler {time.monotonic() - started:.1f} s later")


def run_admission(dev: DevCluster) -> None:
    step("4. kubectl apply as a tenant developer")
    vllm = copy.deepcopy(objects("vllm-gpu.yaml")[0])
    vllm["spec"]["template"]["spec"]["volumes"][1] = {"name": "cache", "emptyDir": {}}  # no storage provisioner
    apply_as_alice(dev, vllm, "examples/manifests/vllm-gpu.yaml")
    pods = wait_for(
        lambda: (
            [
                p
                for p in dev.get("pods", "-n", "acme-prod", "-l", "app=vllm-llama3")["items"]
                if p["status"].get("phase") == "Running"
            ]
            or None
        ),
        what="vLLM pods Running",
        timeout=90,
    )
    pod = pods[0]
    sidecars = [c["name"] for c in pod["spec"].get("initContainers", []) if c.get("restartPolicy") == "Always"]
    print(
        f"  pod {pod['metadata']['name']} Running on {pod['spec']['nodeName']}; labels "
        f"{pod['metadata']['labels']}; native mTLS sidecar: {sidecars}"
    )

    privileged = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "acme-dev"},
        "spec": {
            "hostNetwork": True,
            "containers": [
                {"name": "sh", "image": "docker.io/library/busybox", "securityContext": {"privileged": True}}
            ],
        },
    }
    apply_as_alice(dev, privileged, "debug-pod.yaml")
    isvc = copy.deepcopy(objects("kserve-isvc.yaml")[0])
    isvc["spec"]["predictor"]["model"]["storageUri"] = "s3://globex-models/llama-3.1-70b/"
    apply_as_alice(dev, isvc, "isvc-with-globex-weights.yaml")
    netpol = copy.deepcopy(objects("netpol-gateway.yaml")[0])
    netpol["spec"]["ingress"][0]["from"] = [{"namespaceSelector": {}}]
    apply_as_alice(dev, netpol, "allow-everyone.yaml")
    rb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "help-globex", "namespace": "acme-dev"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tenant-developer"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "globex-devs"}],
    }
    apply_as_alice(dev, rb, "rolebinding-for-globex.yaml")
    cpu = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "tokenizer", "namespace": "acme-dev"},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [
                {
                    "name": "app",
                    "image": "registry.acme.example/tokenizer:1",
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }
            ],
        },
    }
    apply_as_alice(dev, cpu, "cpu-pod-tolerating-gpu-taint.yaml   # denied: GPU007, no GPU requested")


if __name__ == "__main__":
    sys.exit(main())
