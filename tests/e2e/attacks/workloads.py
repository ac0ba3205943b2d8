"""Pods and their owners: Pod Security variants in every kind that carries a pod, GPU accounting (group 3),
ephemeral containers, and mTLS skipped by omission (group 4)."""

from __future__ import annotations

import json

from tests.e2e.attacks.case import Act, Case
from tests.e2e.attacks.objects import (
    GPU_TOLERATION,
    NS,
    RAY,
    VLLM,
    container,
    cronjob,
    deployment,
    gpu_spec,
    gpus,
    job,
    meta,
    pod,
    pod_spec,
    workload,
)
from tests.e2e.attacks.targets import GPU_DEPLOYMENT, TARGET_POD

PSS = "pod security"
GPU = "3 gpu accounting"
EPHEMERAL = "ephemeral containers"
MTLS = "4 mtls by omission"


def _privileged() -> dict[str, object]:
    """Privileged (kube-apiserver refuses privileged with allowPrivilegeEscalation: false, so PSS014 comes too)."""
    c = container(securityContext={"privileged": True})
    del c["securityContext"]["allowPrivilegeEscalation"]
    return c


def _lws(name: str, spec: dict[str, object]) -> dict[str, object]:
    template = {"size": 1, "workerTemplate": {"spec": spec}}
    return {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": meta(name),
        "spec": {"replicas": 1, "leaderWorkerTemplate": template},
    }


CASES = [
    Case(
        id="pss-pod-privileged",
        group=PSS,
        what="a privileged Pod",
        manifest=pod("priv", pod_spec(_privileged())),
        rules=frozenset({"PSS003", "PSS014"}),
    ),
    Case(
        id="pss-pod-escalation",
        group=PSS,
        what="a Pod allowing privilege escalation",
        manifest=pod("escalate", pod_spec(container(securityContext={"allowPrivilegeEscalation": True}))),
        rules=frozenset({"PSS014"}),
    ),
    Case(
        id="pss-deployment-privileged",
        group=PSS,
        what="a privileged Deployment",
        manifest=deployment("priv", pod_spec(_privileged())),
        rules=frozenset({"PSS003", "PSS014"}),
    ),
    Case(
        id="pss-job-hostpath",
        group=PSS,
        what="a Job mounting the node's root",
        manifest=job("hostpath", pod_spec(volumes=[{"name": "root", "hostPath": {"path": "/"}}])),
        rules=frozenset({"PSS013"}),  # the restricted check replaces the baseline one, as in PSA,
    ),
    Case(
        id="pss-cronjob-hostnetwork",
        group=PSS,
        what="a CronJob on the host network (the template two levels down)",
        manifest=cronjob("hostnet", pod_spec(hostNetwork=True)),
        rules=frozenset({"PSS002"}),
    ),
    Case(
        id="pss-statefulset-sys-admin",
        group=PSS,
        what="a StatefulSet adding CAP_SYS_ADMIN",
        manifest=workload(
            "StatefulSet",
            "sysadmin",
            pod_spec(container(securityContext={"capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]}})),
        ),
        rules=frozenset({"PSS018"}),
    ),
    Case(
        id="pss-replicaset-root",
        group=PSS,
        what="a bare ReplicaSet running as UID 0",
        manifest=workload("ReplicaSet", "root", pod_spec(securityContext={"runAsUser": 0})),
        rules=frozenset({"PSS016"}),
    ),
    Case(
        id="pss-seccomp-unconfined",
        group=PSS,
        what="seccomp Unconfined",
        manifest=deployment("unconfined", pod_spec(securityContext={"seccompProfile": {"type": "Unconfined"}})),
        rules=frozenset({"PSS017"}),
    ),
    Case(
        id="pss-proc-mount",
        group=PSS,
        what="an unmasked /proc",
        manifest=deployment(
            "procmount", pod_spec(container(securityContext={"procMount": "Unmasked"}), hostUsers=False)
        ),
        rules=frozenset({"PSS019"}),
    ),
    Case(
        id="pss-sysctl",
        group=PSS,
        what="an unsafe sysctl",
        manifest=deployment(
            "sysctl", pod_spec(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]})
        ),
        rules=frozenset({"PSS011"}),
    ),
    Case(
        id="pss-host-port",
        group=PSS,
        what="a host port",
        manifest=deployment("hostport", pod_spec(container(ports=[{"containerPort": 9000, "hostPort": 9000}]))),
        rules=frozenset({"PSS006"}),
        warns=frozenset(),
    ),
    Case(
        id="pss-apparmor-unconfined",
        group=PSS,
        what="AppArmor unconfined",
        manifest=deployment(
            "apparmor", pod_spec(container(securityContext={"appArmorProfile": {"type": "Unconfined"}}))
        ),
        rules=frozenset({"PSS007"}),
    ),
    Case(
        id="pss-selinux-user",
        group=PSS,
        what="a custom SELinux user",
        manifest=deployment("selinux", pod_spec(securityContext={"seLinuxOptions": {"user": "system_u"}})),
        rules=frozenset({"PSS008"}),
    ),
    Case(
        id="pss-windows-host-process",
        group=PSS,
        what="a Windows HostProcess container",
        manifest=deployment(
            "hostprocess", pod_spec(securityContext={"windowsOptions": {"hostProcess": True}}, hostNetwork=True)
        ),
        rules=frozenset({"PSS001", "PSS002"}),
    ),
    Case(
        id="pss-probe-host",
        group=PSS,
        what="a probe aimed at another host",
        manifest=deployment(
            "probehost", pod_spec(container(readinessProbe={"httpGet": {"host": "10.0.0.1", "port": 80, "path": "/"}}))
        ),
        rules=frozenset({"PSS012"}),
    ),
    Case(
        id="pss-init-container",
        group=PSS,
        what="a privileged init container in a Job",
        manifest=job("init", pod_spec(initContainers=[{**_privileged(), "name": "setup"}])),
        rules=frozenset({"PSS003", "PSS014"}),
    ),
]

CASES += [
    Case(
        id="gpu-runtime-variable-pinned",
        group=GPU,
        what="a pod without GPU requests asking the NVIDIA runtime for every GPU, pinned with nodeName",
        manifest=pod(
            "pinned",
            pod_spec(container(env=[{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]), nodeName="kwok-gpu-h100-0"),
        ),
        rules=frozenset({"GPU012", "GPU013"}),
        manifest_verdict=False,  # every scheduled Pod has a nodeName: the audit judges it on templates only
    ),
    Case(
        id="gpu-node-name-template",
        group=GPU,
        what="a Deployment pinning its pods to a GPU node with nodeName",
        manifest=deployment("pinned", pod_spec(nodeName="kwok-gpu-h100-0")),
        rules=frozenset({"GPU013"}),
    ),
    Case(
        id="gpu-runtime-variable-from-configmap",
        group=GPU,
        what="NVIDIA_VISIBLE_DEVICES read from a ConfigMap",
        manifest=deployment(
            "fromcm",
            pod_spec(
                container(
                    env=[
                        {
                            "name": "NVIDIA_VISIBLE_DEVICES",
                            "valueFrom": {"configMapKeyRef": {"name": "gpu", "key": "all"}},
                        }
                    ]
                )
            ),
        ),
        rules=frozenset({"GPU012"}),
    ),
    Case(
        id="gpu-runtime-variable-prefix",
        group=GPU,
        what="envFrom with the prefix NVIDIA_ (a key VISIBLE_DEVICES becomes the variable)",
        manifest=deployment(
            "prefix", pod_spec(container(envFrom=[{"prefix": "NVIDIA_", "configMapRef": {"name": "gpu"}}]))
        ),
        rules=frozenset({"GPU012"}),
    ),
    Case(
        id="gpu-runtime-configmap",
        group=GPU,
        what="a ConfigMap carrying NVIDIA_VISIBLE_DEVICES for envFrom",
        manifest={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta("gpu"),
            "data": {"NVIDIA_VISIBLE_DEVICES": "all"},
        },
        rules=frozenset({"GPU012"}),
    ),
    Case(
        id="gpu-cdi-annotation",
        group=GPU,
        what="a CDI device annotation on the pod",
        manifest={
            **pod("cdi"),
            "metadata": {**meta("cdi"), "annotations": {"cdi.k8s.io/gpu": "nvidia.com/gpu=all"}},
        },
        rules=frozenset({"GPU012"}),
    ),
    Case(
        id="gpu-exponent-quantity",
        group=GPU,
        what='"1e1" GPUs in a LeaderWorkerSet (ten, not one)',
        manifest=_lws("tengpu", gpu_spec("1e1")),
        rules=frozenset({"GPU005", "GPU006"}),
    ),
    Case(
        id="gpu-fraction",
        group=GPU,
        what='"0.5" GPU in a LeaderWorkerSet (stored by a CRD, refused by every pod later)',
        manifest=_lws("halfgpu", gpu_spec("0.5")),
        rules=frozenset({"GPU010"}),
    ),
    Case(
        id="gpu-requests-below-limits",
        group=GPU,
        what="GPU requests below limits in a LeaderWorkerSet (kube-apiserver validates this on Pods only)",
        manifest=_lws(
            "uneven",
            pod_spec(
                container("w", resources={"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 2}}),
                tolerations=[GPU_TOLERATION],
            ),
        ),
        rules=frozenset({"GPU002"}),
    ),
    Case(
        id="gpu-mig-and-full",
        group=GPU,
        what="a full GPU and a MIG slice in one pod",
        manifest=deployment(
            "mixed",
            pod_spec(
                container("a", resources=gpus(1)),
                container("b", resources=gpus(1, "nvidia.com/mig-1g.10gb")),
                tolerations=[GPU_TOLERATION],
            ),
        ),
        rules=frozenset({"GPU004"}),
    ),
    Case(
        id="gpu-per-pod",
        group=GPU,
        what="3 GPUs in one pod (cap 2)",
        manifest=deployment("three", gpu_spec(3)),
        rules=frozenset({"GPU005"}),
    ),
    Case(
        id="gpu-tenant-total",
        group=GPU,
        what="5 replicas x 2 GPUs (cap 8)",
        manifest=deployment("ten", gpu_spec(2), replicas=5),
        rules=frozenset({"GPU006"}),
    ),
    Case(
        id="gpu-other-resource",
        group=GPU,
        what="a MIG profile acme is not allowed",
        manifest=deployment("big", gpu_spec(1, "nvidia.com/mig-7g.80gb")),
        rules=frozenset({"GPU001"}),
    ),
    Case(
        id="gpu-daemonset",
        group=GPU,
        what="a DaemonSet with a GPU on every node",
        manifest=workload("DaemonSet", "everywhere", gpu_spec(1)),
        rules=frozenset({"GPU008"}),
    ),
    Case(
        id="gpu-toleration-without-gpu",
        group=GPU,
        what="a pod without GPUs tolerating the GPU taint",
        manifest=deployment("squatter", pod_spec(tolerations=[GPU_TOLERATION])),
        rules=frozenset({"GPU007"}),
    ),
    Case(
        id="gpu-scale-past-cap",
        group=GPU,
        what="kubectl scale a 2-GPU Deployment to 5 replicas",
        act=Act.RAW,
        args=("scale", "deployment", GPU_DEPLOYMENT["metadata"]["name"], "-n", NS, "--replicas=5", "--dry-run=server"),
        rules=frozenset({"GPU006"}),
    ),
    Case(
        id="gpu-autoscaler-bound",
        group=GPU,
        what="a HorizontalPodAutoscaler that may grow a 2-GPU Deployment to 9 replicas",
        manifest={
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta("grow"),
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": GPU_DEPLOYMENT["metadata"]["name"],
                },
                "minReplicas": 1,
                "maxReplicas": 9,
            },
        },
        rules=frozenset({"GPU006"}),
        manifest_verdict=False,  # lint and the audit see the autoscaler without its target here
    ),
    Case(
        id="gpu-two-slices",
        group=GPU,
        what="two 1g.10gb MIG slices on the A100 (legitimate)",
        manifest=deployment(
            "slices",
            pod_spec(
                container("w", resources=gpus(2, "nvidia.com/mig-1g.10gb")),
                tolerations=[GPU_TOLERATION],
                nodeSelector={"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
            ),
        ),
    ),
]

_debug = ("debug", "-n", NS, TARGET_POD["metadata"]["name"], "--container")
CASES += [
    Case(
        id="debug-sysadmin",
        group=EPHEMERAL,
        what="kubectl debug --profile=sysadmin (a privileged ephemeral container)",
        act=Act.DEBUG,
        args=(*_debug[1:], "dbg-sysadmin", "--image=registry.acme.example/debug:1", "--profile=sysadmin"),
        rules=frozenset({"PSS003", "PSS014", "PSS018"}),
    ),
    Case(
        id="debug-foreign-image",
        group=EPHEMERAL,
        what="kubectl debug with an image from outside the tenant's registries",
        act=Act.DEBUG,
        args=(*_debug[1:], "dbg-busybox", "--image=busybox:1.36", "--profile=restricted"),
        rules=frozenset({"SRV002"}),
    ),
    Case(
        id="ephemeral-raw-privileged",
        group=EPHEMERAL,
        what="a privileged ephemeral container written to the subresource directly",
        act=Act.PATCH,
        manifest=TARGET_POD,
        subresource="ephemeralcontainers",
        patch=json.dumps(
            {
                "spec": {
                    "ephemeralContainers": [
                        {
                            "name": "raw",
                            "image": "registry.acme.example/debug:1",
                            "securityContext": {"privileged": True},
                        }
                    ]
                }
            }
        ),
        rules=frozenset({"PSS003", "PSS014", "PSS018"}),
    ),
    Case(
        id="debug-restricted",
        group=EPHEMERAL,
        what="kubectl debug --profile=restricted with the tenant's image (legitimate)",
        act=Act.DEBUG,
        args=(*_debug[1:], "dbg-ok", "--image=registry.acme.example/debug:1", "--profile=restricted"),
    ),
]

CASES += [
    Case(
        id="mtls-server-without-port",
        group=MTLS,
        what="vLLM listening on a port it does not declare: the sidecar is injected anyway",
        manifest=deployment("quiet", pod_spec(container("vllm", VLLM, args=["--model", "s3://acme-models/llama"]))),
    ),
    Case(
        id="mtls-opt-out-annotation",
        group=MTLS,
        what="opting a server out of mTLS with tenantguard.io/mtls: disabled",
        manifest={
            **pod("optout", pod_spec(container(ports=[{"containerPort": 8080}]))),
            "metadata": {**meta("optout"), "annotations": {"tenantguard.io/mtls": "disabled"}},
        },
        rules=frozenset({"MTLS001"}),
    ),
    Case(
        id="mtls-opt-out-istio-label",
        group=MTLS,
        what="opting a server out with sidecar.istio.io/inject=false",
        manifest=pod(
            "istio-off", pod_spec(container(ports=[{"containerPort": 8080}])), **{"sidecar.istio.io/inject": "false"}
        ),
        rules=frozenset({"MTLS001"}),
    ),
    Case(
        id="mtls-fake-sidecar",
        group=MTLS,
        what="a container posing as the sidecar with authentication off",
        manifest=pod(
            "fake",
            pod_spec(
                container(ports=[{"containerPort": 8080}]),
                initContainers=[
                    container(
                        "tenantguard-mtls",
                        "registry.acme.example/proxy:1",
                        restartPolicy="Always",
                        args=["--disable-authentication"],
                    )
                ],
            ),
        ),
        rules=frozenset({"MTLS002"}),
    ),
    Case(
        id="mtls-app-on-sidecar-port",
        group=MTLS,
        what="an app listening on the sidecar's port, answering in plain text",
        manifest=deployment("squat", pod_spec(container(ports=[{"containerPort": 8443}]))),
        rules=frozenset({"MTLS002"}),
    ),
]

KINDS = "every kind that makes pods"
CASES += [
    Case(
        id="replication-controller-host-network",
        group=KINDS,
        what="a ReplicationController (core/v1, in edit) on the host network",
        manifest={
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": meta("rc"),
            "spec": {
                "replicas": 1,
                "selector": {"app": "rc"},
                "template": {"metadata": {"labels": {"app": "rc"}}, "spec": pod_spec(hostNetwork=True)},
            },
        },
        rules=frozenset({"PSS002"}),
    ),
    Case(
        id="replication-controller-gpus",
        group=KINDS,
        what="a ReplicationController with 5 x 2 GPUs (cap 8)",
        manifest={
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": meta("rcgpu"),
            "spec": {
                "replicas": 5,
                "selector": {"app": "rcgpu"},
                "template": {"metadata": {"labels": {"app": "rcgpu"}}, "spec": gpu_spec(2)},
            },
        },
        rules=frozenset({"GPU006"}),
    ),
    Case(
        id="rayservice-privileged-worker",
        group=KINDS,
        what="a RayService whose worker group is privileged",
        manifest={
            "apiVersion": "ray.io/v1",
            "kind": "RayService",
            "metadata": meta("ray"),
            "spec": {
                "rayClusterConfig": {
                    "headGroupSpec": {"rayStartParams": {}, "template": {"spec": pod_spec(container(image=RAY))}},
                    "workerGroupSpecs": [
                        {
                            "groupName": "w",
                            "replicas": 1,
                            "rayStartParams": {},
                            "template": {"spec": pod_spec({**_privileged(), "image": RAY})},
                        }
                    ],
                }
            },
        },
        rules=frozenset({"PSS003", "PSS014"}),
    ),
    Case(
        id="servingruntime-host-ipc",
        group=KINDS,
        what="a KServe ServingRuntime sharing the host's IPC namespace",
        manifest={
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "ServingRuntime",
            "metadata": meta("sr"),
            "spec": {
                "supportedModelFormats": [{"name": "huggingface"}],
                "hostIPC": True,
                "containers": [container("kserve-container", "registry.acme.example/kserve/hf:1")],
            },
        },
        rules=frozenset({"PSS002", "PSS015", "PSS017"}),
    ),
    Case(
        id="lws-leader-host-pid",
        group=KINDS,
        what="a LeaderWorkerSet whose leader shares the host's PIDs",
        manifest={
            "apiVersion": "leaderworkerset.x-k8s.io/v1",
            "kind": "LeaderWorkerSet",
            "metadata": meta("lwsl"),
            "spec": {
                "replicas": 1,
                "leaderWorkerTemplate": {
                    "size": 2,
                    "leaderTemplate": {"spec": pod_spec(hostPID=True)},
                    "workerTemplate": {"spec": pod_spec()},
                },
            },
        },
        rules=frozenset({"PSS002"}),
    ),
    Case(
        id="system-priority",
        group=KINDS,
        what="pods at system-node-critical priority, preempting other tenants'",
        manifest=deployment("critical", pod_spec(priorityClassName="system-node-critical")),
        rules=frozenset({"TEN007"}),
    ),
    Case(
        id="system-priority-cronjob",
        group=KINDS,
        what="a CronJob at system-cluster-critical priority",
        manifest=cronjob("critical", pod_spec(priorityClassName="system-cluster-critical")),
        rules=frozenset({"TEN007"}),
    ),
    Case(
        id="gpu-tolerate-everything",
        group=GPU,
        what="a pod without GPUs tolerating every taint (operator Exists, no key)",
        manifest=deployment("tolall", pod_spec(tolerations=[{"operator": "Exists"}])),
        rules=frozenset({"GPU007"}),
    ),
    Case(
        id="gpu-init-container",
        group=GPU,
        what="an init container holding 4 GPUs (cap 2 a pod)",
        manifest=deployment(
            "initgpu", pod_spec(initContainers=[container("init", resources=gpus(4))], tolerations=[GPU_TOLERATION])
        ),
        rules=frozenset({"GPU005"}),
    ),
    Case(
        id="gpu-native-sidecar",
        group=GPU,
        what="2 GPUs in the app and 2 in a native sidecar (they add up)",
        manifest=deployment(
            "sidegpu",
            pod_spec(
                container(resources=gpus(2)),
                initContainers=[container("side", resources=gpus(2), restartPolicy="Always")],
                tolerations=[GPU_TOLERATION],
            ),
        ),
        rules=frozenset({"GPU005"}),
    ),
    Case(
        id="gpu-job-parallelism",
        group=GPU,
        what="a Job running 5 x 2 GPUs in parallel",
        manifest=job("par", gpu_spec(2), parallelism=5),
        rules=frozenset({"GPU006"}),
    ),
]

_annotated = deployment("aa-annotation", pod_spec())
_annotated["spec"]["template"]["metadata"]["annotations"] = {
    "container.apparmor.security.beta.kubernetes.io/app": "unconfined"
}
CASES += [
    Case(
        id="pss-apparmor-annotation",
        group=PSS,
        what="AppArmor unconfined through the deprecated annotation",
        manifest=_annotated,
        rules=frozenset({"PSS007"}),
    ),
    Case(
        id="pss-user-namespace-root",
        group=PSS,
        what="root inside a user namespace (hostUsers: false): Pod Security Admission allows it, so does tenantguard",
        manifest=deployment(
            "userns",
            pod_spec(
                container(securityContext={"runAsUser": 0, "runAsNonRoot": False}),
                hostUsers=False,
                securityContext={"runAsNonRoot": False, "runAsUser": 0},
            ),
        ),
    ),
    Case(
        id="mtls-opt-out-istio-annotation",
        group=MTLS,
        what="opting a server out with the sidecar.istio.io/inject=false annotation",
        manifest={
            **pod("istio-ann", pod_spec(container(ports=[{"containerPort": 8080}]))),
            "metadata": {**meta("istio-ann"), "annotations": {"sidecar.istio.io/inject": "false"}},
        },
        rules=frozenset({"MTLS001"}),
    ),
    Case(
        id="gpu-time-sliced-resource",
        group=GPU,
        what="4 time-sliced nvidia.com/gpu.shared: a resource acme is not given, and counted like GPUs",
        manifest=deployment(
            "shared", pod_spec(container("w", resources=gpus(4, "nvidia.com/gpu.shared")), tolerations=[GPU_TOLERATION])
        ),
        rules=frozenset({"GPU001", "GPU005"}),
    ),
    Case(
        id="gpu-mig-media-extensions",
        group=GPU,
        what="a 1g.10gb+me slice where acme is given only 1g.10gb",
        manifest=deployment(
            "mig-me",
            pod_spec(container("w", resources=gpus(1, "nvidia.com/mig-1g.10gb.me")), tolerations=[GPU_TOLERATION]),
        ),
        rules=frozenset({"GPU001"}),
    ),
]

CASES += [
    Case(
        id="node-debugger-pod",
        group=PSS,
        what="the pod kubectl debug node/… would create: the node's namespaces and root, pinned to a GPU node",
        manifest=pod(
            "node-debugger",
            pod_spec(
                container(volumeMounts=[{"name": "host-root", "mountPath": "/host"}]),
                nodeName="kwok-gpu-h100-0",
                hostIPC=True,
                hostNetwork=True,
                hostPID=True,
                volumes=[{"name": "host-root", "hostPath": {"path": "/"}}],
            ),
        ),
        rules=frozenset({"PSS002", "PSS013", "GPU013"}),
        manifest_verdict=False,  # every scheduled Pod has a nodeName: the audit judges it on templates only
    ),
]
