"""Model sources and registries (group 5), cross-tenant references (group 6), Services and NetworkPolicies,
and the legitimate serving shapes (group 8) — including every example manifest the project ships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.e2e.attacks.case import Case, Needs, Obj
from tests.e2e.attacks.objects import (
    GPU_TOLERATION,
    VLLM,
    container,
    deployment,
    gpus,
    ingress,
    meta,
    netpol,
    pod_spec,
    service,
    vllm_container,
    vllm_spec,
    workload,
)

SOURCES = "5 model sources and registries"
REFERENCES = "6 cross-tenant references"
NETWORK = "network"
LEGITIMATE = "8 legitimate serving"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "manifests"
GATEWAY = "gateway.networking.k8s.io/v1"


def _serving(name: str, *args: str, **spec: Any) -> Obj:
    return deployment(name, vllm_spec(*args, **spec))


def _server(name: str, command: list[str], args: list[str], image: str = VLLM) -> Obj:
    c = container("server", image, command=command, args=args, resources=gpus(1))
    return deployment(name, pod_spec(c, tolerations=[GPU_TOLERATION]))


def _checkpointed(name: str) -> Obj:
    sts = workload("StatefulSet", name, pod_spec(container(volumeMounts=[{"name": "ckpt", "mountPath": "/ckpt"}])))
    claim = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}
    sts["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "ckpt"}, "spec": claim}]
    return sts


def _isvc(name: str, **model: object) -> Obj:
    """An InferenceService whose predictor runs the tenant's Hugging Face server on one GPU."""
    predictor = pod_spec(tolerations=[GPU_TOLERATION])
    del predictor["containers"]
    predictor["model"] = {
        "modelFormat": {"name": "huggingface"},
        "image": "registry.acme.example/kserve/huggingfaceserver:v0.14.0",
        "resources": gpus(1),
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        **model,
    }
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta(name),
        "spec": {"predictor": predictor},
    }


def _without_host(obj: Obj) -> Obj:
    del obj["spec"]["rules"][0]["host"]
    return obj


CASES = [
    Case(
        id="vllm-positional-model",
        group=SOURCES,
        what="vllm serve with options before the positional model from globex's bucket",
        manifest=_server("positional", ["vllm", "serve"], ["--dtype", "auto", "s3://globex-models/llama"]),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="vllm-python-module",
        group=SOURCES,
        what="vLLM run as python -m with globex's model",
        manifest=_server(
            "pymodule",
            ["python3", "-m", "vllm.entrypoints.openai.api_server"],
            ["--model", "s3://globex-models/llama"],
        ),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="vllm-shell-variable",
        group=SOURCES,
        what="the model named through a shell variable set in env",
        manifest=deployment(
            "shellvar",
            pod_spec(
                container(
                    "vllm",
                    VLLM,
                    command=["sh", "-c", "vllm serve $MODEL --port 8000"],
                    env=[{"name": "MODEL", "value": "s3://globex-models/llama"}],
                    resources=gpus(1),
                ),
                tolerations=[GPU_TOLERATION],
            ),
        ),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="vllm-model-from-secret",
        group=SOURCES,
        what="the model named through a Secret the manifest does not show: admitted with a warning",
        manifest=deployment(
            "fromsecret",
            pod_spec(
                container(
                    "vllm",
                    VLLM,
                    command=["sh", "-c", "vllm serve $MODEL"],
                    env=[{"name": "MODEL", "valueFrom": {"secretKeyRef": {"name": "model", "key": "uri"}}}],
                    resources=gpus(1),
                ),
                tolerations=[GPU_TOLERATION],
            ),
        ),
        warns=frozenset({"SRV008"}),
    ),
    Case(
        id="hf-endpoint-redirect",
        group=SOURCES,
        what="an allowed Hub id downloaded from another host (HF_ENDPOINT)",
        manifest=deployment(
            "hfendpoint",
            pod_spec(
                vllm_container(
                    "--model",
                    "meta-llama/Llama-3.1-8B-Instruct",
                    env=[{"name": "HF_ENDPOINT", "value": "https://hub.globex.example"}],
                ),
                tolerations=[GPU_TOLERATION],
            ),
        ),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="triton-model-repository",
        group=SOURCES,
        what="Triton's --model-repository on globex's bucket",
        manifest=deployment(
            "triton",
            pod_spec(
                container(
                    "triton",
                    "nvcr.io/nvidia/tritonserver:24.08-py3",
                    command=["tritonserver"],
                    args=["--model-repository=s3://globex-models/triton"],
                    resources=gpus(1),
                ),
                tolerations=[GPU_TOLERATION],
            ),
        ),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="csi-inline-bucket",
        group=SOURCES,
        what="a CSI inline volume mounting globex's bucket as the model path",
        manifest=_serving(
            "csi",
            "--model",
            "/models/llama",
            volumes=[
                {
                    "name": "models",
                    "csi": {"driver": "s3.csi.aws.com", "volumeAttributes": {"bucketName": "globex-models"}},
                }
            ],
        ),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="kserve-storage-block",
        group=SOURCES,
        what="KServe's storage block naming globex's bucket",
        manifest=(
            _isvc(
                "storage",
                storage={"key": "s3", "path": "llama", "parameters": {"type": "s3", "bucket": "globex-models"}},
            )
        ),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="kserve-storage-uri",
        group=SOURCES,
        what="an InferenceService loading globex's model",
        manifest=(_isvc("theft", storageUri="s3://globex-models/llama/")),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="image-outside-registries",
        group=SOURCES,
        what="an image from Docker Hub's library",
        manifest=deployment("hub", pod_spec(container(image="docker.io/library/nginx:1.27"))),
        rules=frozenset({"SRV002"}),
    ),
    Case(
        id="init-image-outside-registries",
        group=SOURCES,
        what="an init container from outside the registries",
        manifest=deployment("initimg", pod_spec(initContainers=[container("fetch", "ghcr.io/someone/fetch:1")])),
        rules=frozenset({"SRV002"}),
    ),
    Case(
        id="image-volume-outside-registries",
        group=SOURCES,
        what="an image volume (model weights as an OCI image) from outside the registries",
        manifest=deployment(
            "imgvol",
            pod_spec(
                volumes=[
                    {
                        "name": "weights",
                        "image": {"reference": "ghcr.io/globex/weights:1", "pullPolicy": "IfNotPresent"},
                    }
                ]
            ),
        ),
        rules=frozenset({"SRV002"}),
    ),
    Case(
        id="pvc-binds-named-volume",
        group=SOURCES,
        what="a claim binding globex's pre-provisioned weights volume by name",
        manifest={
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta("weights"),
            "spec": {
                "accessModes": ["ReadOnlyMany"],
                "resources": {"requests": {"storage": "100Gi"}},
                "volumeName": "globex-weights",
                "storageClassName": "",
            },
        },
        rules=frozenset({"SRV007"}),
    ),
]

CASES += [
    Case(
        id="external-name-alias",
        group=REFERENCES,
        what="an ExternalName Service aliasing globex's model server",
        manifest={
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("alias"),
            "spec": {"type": "ExternalName", "externalName": "vllm.globex-prod.svc.cluster.local"},
        },
        rules=frozenset({"SRV009"}),
    ),
    Case(
        id="httproute-other-tenant",
        group=REFERENCES,
        what="an HTTPRoute sending traffic to globex's Service",
        manifest={
            "apiVersion": GATEWAY,
            "kind": "HTTPRoute",
            "metadata": meta("steal"),
            "spec": {
                "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
                "hostnames": ["chat.acme.example"],
                "rules": [{"backendRefs": [{"name": "vllm", "namespace": "globex-prod", "port": 8443}]}],
            },
        },
        rules=frozenset({"SRV005"}),
    ),
    Case(
        id="grpcroute-other-tenant",
        group=REFERENCES,
        what="a GRPCRoute to globex's Service",
        manifest={
            "apiVersion": GATEWAY,
            "kind": "GRPCRoute",
            "metadata": meta("steal-grpc"),
            "spec": {
                "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
                "hostnames": ["grpc.acme.example"],
                "rules": [{"backendRefs": [{"name": "vllm", "namespace": "globex-prod", "port": 8443}]}],
            },
        },
        rules=frozenset({"SRV005"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="reference-grant-other-tenant",
        group=REFERENCES,
        what="a ReferenceGrant trusting routes from globex's namespace",
        manifest={
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": meta("trust-globex"),
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "globex-prod"}],
                "to": [{"group": "", "kind": "Service"}],
            },
        },
        rules=frozenset({"SRV010"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="endpointslice-other-pod",
        group=REFERENCES,
        what="an EndpointSlice pointing a selector-less Service at a pod IP outside the tenant",
        manifest={
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {**meta("db"), "labels": {"kubernetes.io/service-name": "db"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.244.3.7"]}],
            "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
        },
        rules=frozenset({"SRV011"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="endpoints-other-pod",
        group=REFERENCES,
        what="the same through a (deprecated) Endpoints object",
        manifest={
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": meta("db2"),
            "subsets": [{"addresses": [{"ip": "10.244.3.7"}], "ports": [{"port": 5432}]}],
        },
        rules=frozenset({"SRV011"}),
        needs=Needs.GRANTED,
    ),
    Case(
        id="endpointslice-egress-database",
        group=REFERENCES,
        what="an EndpointSlice fronting the tenant's database inside its egress CIDRs (legitimate)",
        manifest={
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {**meta("models-db"), "labels": {"kubernetes.io/service-name": "models-db"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.20.1.5"]}],
            "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
        },
        needs=Needs.GRANTED,
    ),
    Case(
        id="ingress-snippet",
        group=REFERENCES,
        what="an ingress-nginx configuration snippet",
        manifest=ingress(
            "snippet",
            "chat.acme.example",
            annotations={
                "nginx.ingress.kubernetes.io/server-snippet": "location / { proxy_pass http://vllm.globex-prod.svc; }"
            },
        ),
        rules=frozenset({"SRV012"}),
    ),
    Case(
        id="ingress-auth-url-other-tenant",
        group=REFERENCES,
        what="an ingress auth-url served by globex",
        manifest=ingress(
            "authurl",
            "chat.acme.example",
            annotations={"nginx.ingress.kubernetes.io/auth-url": "http://auth.globex-prod.svc.cluster.local/check"},
        ),
        rules=frozenset({"SRV014"}),
    ),
    Case(
        id="ingress-other-hostname",
        group=REFERENCES,
        what="an Ingress claiming globex's hostname",
        manifest=ingress("hijack", "chat.globex.com"),
        rules=frozenset({"SRV013"}),
    ),
    Case(
        id="ingress-without-tls",
        group=REFERENCES,
        what="an Ingress without TLS (a warning here: SRV006 is in warn mode in these tests' settings)",
        manifest=ingress("plain", "chat.acme.example", tls=False),
        warns=frozenset({"SRV006"}),
    ),
    Case(
        id="service-nodeport",
        group=NETWORK,
        what="a NodePort Service",
        manifest=service("np", type="NodePort"),
        rules=frozenset({"SRV001"}),
    ),
    Case(
        id="service-loadbalancer",
        group=NETWORK,
        what="a LoadBalancer Service",
        manifest=service("lb", type="LoadBalancer"),
        rules=frozenset({"SRV001"}),
    ),
    Case(
        id="service-external-ips",
        group=NETWORK,
        what="a Service with externalIPs",
        manifest=service("xip", externalIPs=["203.0.113.10"]),
        rules=frozenset({"SRV001"}),
    ),
    Case(
        id="netpol-all-namespaces",
        group=NETWORK,
        what="a NetworkPolicy admitting every namespace",
        manifest=netpol("open", ingress=[{"from": [{"namespaceSelector": {}}]}]),
        rules=frozenset({"NET002"}),
    ),
    Case(
        id="netpol-other-tenant",
        group=NETWORK,
        what="a NetworkPolicy admitting globex's namespaces by their tenant label",
        manifest=netpol(
            "globex-in",
            ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"tenantguard.io/tenant": "globex"}}}]}],
        ),
        rules=frozenset({"NET003"}),
    ),
    Case(
        id="netpol-not-in-self",
        group=NETWORK,
        what="a NetworkPolicy admitting every namespace but its own tenant's (NotIn)",
        manifest=netpol(
            "notin",
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {"key": "tenantguard.io/tenant", "operator": "NotIn", "values": ["acme"]}
                                ]
                            }
                        }
                    ]
                }
            ],
        ),
        rules=frozenset({"NET003"}),
    ),
    Case(
        id="netpol-egress-anywhere",
        group=NETWORK,
        what="egress to 0.0.0.0/0",
        manifest=netpol("egress-all", egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}], policyTypes=["Egress"]),
        rules=frozenset({"NET004"}),
    ),
    Case(
        id="netpol-own-tenant",
        group=NETWORK,
        what="a NetworkPolicy admitting the tenant's other namespace (legitimate)",
        manifest=netpol(
            "from-prod",
            ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "acme-prod"}}}]}],
        ),
    ),
]

CASES += [
    Case(
        id="served-name-with-slash",
        group=LEGITIMATE,
        what="a served model name with a slash (MODEL_NAME=acme/support-bot-v2) beside an allowed source",
        manifest=_serving(
            "named", "--model", "s3://acme-models/support-bot-v2", "--served-model-name", "acme/support-bot-v2"
        ),
    ),
    Case(
        id="model-path-under-working-dir",
        group=LEGITIMATE,
        what="a model path relative to workingDir on the tenant's PVC",
        manifest=deployment(
            "relative",
            pod_spec(
                vllm_container(
                    "--model", "models/llama", workingDir="/data", volumeMounts=[{"name": "data", "mountPath": "/data"}]
                ),
                tolerations=[GPU_TOLERATION],
                volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "weights"}}],
            ),
        ),
    ),
    Case(
        id="statefulset-checkpoint-volume",
        group=LEGITIMATE,
        what="a StatefulSet with a checkpoint volume claim template",
        manifest=_checkpointed("trainer"),
    ),
]


CASES += [
    Case(
        id="k8s-variable-expansion",
        group=SOURCES,
        what="the model in $(MODEL), which the kubelet expands from env",
        manifest=deployment(
            "kvar",
            pod_spec(
                vllm_container("--model", "$(MODEL)", env=[{"name": "MODEL", "value": "s3://globex-models/llama"}]),
                tolerations=[GPU_TOLERATION],
            ),
        ),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="model-equals-form",
        group=SOURCES,
        what="--model=<globex's bucket> in one argument",
        manifest=_serving("meq", "--model=s3://globex-models/llama"),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="tokenizer-other-tenant",
        group=SOURCES,
        what="an allowed model with globex's tokenizer",
        manifest=_serving("tok", "--model", "s3://acme-models/llama", "--tokenizer", "s3://globex-models/tok"),
        rules=frozenset({"SRV003"}),
    ),
    Case(
        id="index-docker-io",
        group=SOURCES,
        what="index.docker.io spelling of Docker Hub's library",
        manifest=deployment("idx", pod_spec(container(image="index.docker.io/library/nginx:1"))),
        rules=frozenset({"SRV002"}),
    ),
    Case(
        id="ephemeral-volume-named-pv",
        group=SOURCES,
        what="a generic ephemeral volume binding globex's volume by name",
        manifest=deployment(
            "ephvol",
            pod_spec(
                volumes=[
                    {
                        "name": "e",
                        "ephemeral": {
                            "volumeClaimTemplate": {
                                "spec": {
                                    "accessModes": ["ReadWriteOnce"],
                                    "volumeName": "globex-weights",
                                    "resources": {"requests": {"storage": "1Gi"}},
                                }
                            }
                        },
                    }
                ]
            ),
        ),
        rules=frozenset({"SRV007"}),
    ),
    Case(
        id="download-into-empty-dir",
        group=SOURCES,
        what="an init container copying a bucket into an emptyDir the server loads: undetermined, so a warning",
        manifest=deployment(
            "download",
            pod_spec(
                vllm_container("--model", "/models/llama", volumeMounts=[{"name": "m", "mountPath": "/models"}]),
                initContainers=[
                    container(
                        "fetch",
                        "registry.acme.example/tools:1",
                        command=["aws", "s3", "cp", "--recursive", "s3://globex-models/llama", "/models/llama"],
                        volumeMounts=[{"name": "m", "mountPath": "/models"}],
                    )
                ],
                volumes=[{"name": "m", "emptyDir": {}}],
                tolerations=[GPU_TOLERATION],
            ),
        ),
        warns=frozenset({"SRV008"}),
    ),
    Case(
        id="ingress-no-host",
        group=REFERENCES,
        what="an Ingress rule without a host: every hostname, other tenants' too",
        manifest=_without_host(ingress("catchall", "chat.acme.example")),
        rules=frozenset({"SRV013"}),
    ),
    Case(
        id="ingress-default-backend",
        group=REFERENCES,
        what="an Ingress with only a defaultBackend: the shared controller's fallback for every host",
        manifest={
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": meta("fallback"),
            "spec": {
                "tls": [{"hosts": ["chat.acme.example"], "secretName": "chat-tls"}],
                "defaultBackend": {"service": {"name": "vllm", "port": {"number": 443}}},
            },
        },
        rules=frozenset({"SRV013"}),
    ),
    Case(
        id="ingress-wildcard-other-tenant",
        group=REFERENCES,
        what="an Ingress claiming *.globex.example",
        manifest=ingress("wild", "*.globex.example"),
        rules=frozenset({"SRV013"}),
    ),
    Case(
        id="httproute-no-hostnames",
        group=REFERENCES,
        what="an HTTPRoute without hostnames: every hostname of the shared gateway",
        manifest={
            "apiVersion": GATEWAY,
            "kind": "HTTPRoute",
            "metadata": meta("allhosts"),
            "spec": {
                "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
                "rules": [{"backendRefs": [{"name": "vllm", "port": 8443}]}],
            },
        },
        rules=frozenset({"SRV013"}),
    ),
    Case(
        id="httproute-parent-other-tenant",
        group=REFERENCES,
        what="an HTTPRoute attaching to a Gateway in globex's namespace",
        manifest={
            "apiVersion": GATEWAY,
            "kind": "HTTPRoute",
            "metadata": meta("parent"),
            "spec": {
                "parentRefs": [{"name": "gw", "namespace": "globex-prod"}],
                "hostnames": ["chat.acme.example"],
                "rules": [{"backendRefs": [{"name": "vllm", "port": 8443}]}],
            },
        },
        rules=frozenset({"SRV005"}),
    ),
    Case(
        id="netpol-egress-all-namespaces",
        group=NETWORK,
        what="egress to every namespace",
        manifest=netpol("egress-ns", egress=[{"to": [{"namespaceSelector": {}}]}], policyTypes=["Egress"]),
        rules=frozenset({"NET002"}),
    ),
    Case(
        id="netpol-ingress-from-anywhere",
        group=NETWORK,
        what="an ingress rule without from: every source",
        manifest=netpol("ingress-all", ingress=[{}], policyTypes=["Ingress"]),
        rules=frozenset({"NET002"}),
    ),
    Case(
        id="netpol-globex-by-name",
        group=NETWORK,
        what="a peer selecting globex-prod by kubernetes.io/metadata.name",
        manifest=netpol(
            "by-name",
            ingress=[
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "globex-prod"}}}]}
            ],
        ),
        rules=frozenset({"NET003"}),
    ),
    Case(
        id="netpol-metadata-endpoint",
        group=NETWORK,
        what="egress to the cloud metadata endpoint",
        manifest=netpol("imds", egress=[{"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}]}], policyTypes=["Egress"]),
        rules=frozenset({"NET004"}),
    ),
    Case(
        id="docker-hub-short-name",
        group=LEGITIMATE,
        what="vLLM by its Docker Hub short name (vllm/vllm-openai is docker.io/vllm/…)",
        manifest=deployment(
            "short",
            pod_spec(
                container(
                    "vllm", "vllm/vllm-openai:v0.6.3", args=["--model", "s3://acme-models/llama"], resources=gpus(1)
                ),
                tolerations=[GPU_TOLERATION],
            ),
        ),
    ),
]


CASES += [
    Case(
        id="external-name-ip",
        group=REFERENCES,
        what="an ExternalName Service aliasing another tenant's pod IP",
        manifest={
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("alias-ip"),
            "spec": {"type": "ExternalName", "externalName": "10.244.3.7"},
        },
        rules=frozenset({"SRV009"}),
    ),
    Case(
        id="external-name-pod-dns",
        group=REFERENCES,
        what="an ExternalName Service aliasing a globex pod by its cluster DNS name",
        manifest={
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("alias-pod"),
            "spec": {"type": "ExternalName", "externalName": "10-244-3-7.globex-prod.pod.cluster.local"},
        },
        rules=frozenset({"SRV009"}),
    ),
    Case(
        id="httproute-mirror-other-tenant",
        group=REFERENCES,
        what="an HTTPRoute mirroring the tenant's traffic to globex (a filter's backendRef)",
        manifest={
            "apiVersion": GATEWAY,
            "kind": "HTTPRoute",
            "metadata": meta("mirror"),
            "spec": {
                "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
                "hostnames": ["chat.acme.example"],
                "rules": [
                    {
                        "filters": [
                            {
                                "type": "RequestMirror",
                                "requestMirror": {
                                    "backendRef": {"name": "vllm", "namespace": "globex-prod", "port": 8443}
                                },
                            }
                        ],
                        "backendRefs": [{"name": "vllm", "port": 8443}],
                    }
                ],
            },
        },
        rules=frozenset({"SRV005"}),
    ),
    Case(
        id="netpol-any-tenant",
        group=NETWORK,
        what="a peer selecting every namespace that has a tenant label (Exists)",
        manifest=netpol(
            "any-tenant",
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [{"key": "tenantguard.io/tenant", "operator": "Exists"}]
                            }
                        }
                    ]
                }
            ],
        ),
        rules=frozenset({"NET003"}),
    ),
    Case(
        id="netpol-no-tenant",
        group=NETWORK,
        what="a peer selecting every namespace without a tenant label (DoesNotExist)",
        manifest=netpol(
            "no-tenant",
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [{"key": "tenantguard.io/tenant", "operator": "DoesNotExist"}]
                            }
                        }
                    ]
                }
            ],
        ),
        rules=frozenset({"NET003"}),
    ),
]


def _examples() -> list[Case]:
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                name = f"example-{path.stem}-{doc['kind'].lower()}"
                out.append(
                    Case(id=name, group=LEGITIMATE, what=f"examples/manifests/{path.name}: {doc['kind']}", manifest=doc)
                )
    return out


CASES += _examples()
