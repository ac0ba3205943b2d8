"""MTLS002 mtls-sidecar-unmodified: the sidecar is the platform's image and config, and stays on update."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from tenantguard.policies.engine import evaluate, review
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rules.mtls.sidecar import sidecar_args, sidecar_container
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tests.support.fixtures import cluster_for, deployment, request, restricted_container

MTLS = DEFAULT_SETTINGS.mtls
GOOD = sidecar_container(DEFAULT_SETTINGS, "acme", 8000)
CERTS = {"name": "tenantguard-mtls-certs", "secret": {"secretName": "tenantguard-workload-cert"}}
ARGS = "spec.template.spec.initContainers[0].args"


def fired(obj: Obj, *, old: Obj | None = None, tenant: dict[str, Any] | None = None) -> list[Violation]:
    op = "UPDATE" if old is not None else "CREATE"
    return [v for v in evaluate(obj, cluster_for(tenant), request(op, old)).violations if v.rule == "MTLS002"]


def vllm(port: int = 8000) -> Obj:
    return restricted_container(
        "vllm",
        "docker.io/vllm/vllm-openai:v0.6.3",
        args=["--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", str(port)],
        ports=[{"containerPort": port}],
    )


def with_sidecar(sidecar: Obj | None = None, port: int = 8000, volumes: list[Obj] | None = None) -> Obj:
    init = [] if sidecar is None else [sidecar]
    return deployment(
        name="vllm",
        containers=[vllm(port)],
        initContainers=init,
        volumes=[CERTS] if volumes is None else volumes,
    )


def args(*replacements: tuple[str, str | None]) -> list[str]:
    out = sidecar_args(DEFAULT_SETTINGS, "acme", 8000)
    for prefix, new in replacements:
        out = [a for a in out if not a.startswith(prefix)] + ([new] if new else [])
    return out


def test_injected_sidecar_is_allowed() -> None:
    assert fired(with_sidecar(GOOD)) == []
    assert fired(with_sidecar(GOOD), old=with_sidecar(GOOD)) == []


def test_admission_result_is_allowed_and_stays_allowed_on_reapply() -> None:
    first = review(deployment(name="vllm", containers=[vllm()]), cluster_for(), request())
    assert [v for v in first.evaluation.violations if v.rule == "MTLS002"] == []
    again = review(first.mutated, cluster_for(), request("UPDATE", first.mutated))
    assert again.patches == () and again.evaluation.violations == ()


def test_own_image_under_the_sidecar_name_is_denied() -> None:
    (v,) = fired(with_sidecar({**GOOD, "image": "registry.acme.example/ghostunnel:dev"}))
    assert v.path == "spec.template.spec.initContainers[0].image"
    assert MTLS.image in v.message and "registry.acme.example/ghostunnel:dev" in v.message


def test_command_override_is_denied() -> None:
    (v,) = fired(with_sidecar({**GOOD, "command": ["/bin/sh", "-c", "sleep infinity"]}))
    assert v.path == "spec.template.spec.initContainers[0].command"


@pytest.mark.parametrize(
    ("new_args", "index"),
    [
        pytest.param(args(("--allow-uri", "--allow-all")), 7, id="allow-all"),
        pytest.param([*args(), "--allow-uri=spiffe://tenantguard.io/tenant/globex"], 9, id="second-tenant"),
        pytest.param([*args(), "--allow-uri=spiffe://tenantguard.io/gateway/globex-prod"], 9, id="own-gateway"),
        pytest.param([*args(), "--allow-uri-san=spiffe://tenantguard.io/tenant/acme"], 9, id="hidden-alias"),
        pytest.param([*args(), "--allow-spki-pin=sha256:AAAA"], 9, id="key-pin"),
        pytest.param([*args(), "--disable-authentication"], 9, id="no-client-auth"),
        pytest.param([*args(), "--allow-cn", "client"], 9, id="allow-cn-separate-value"),
    ],
)
def test_widening_the_client_check_is_denied(new_args: list[str], index: int) -> None:
    found = fired(with_sidecar({**GOOD, "args": new_args}))
    assert f"{ARGS}[{index}]" in [v.path for v in found]
    assert any("admits only the clients of tenant 'acme' and the gateway" in v.message for v in found)


def test_flags_from_a_file_are_denied() -> None:
    """kingpin, ghostunnel's flag parser, expands `@path` into the flags the file holds."""
    (v,) = fired(with_sidecar({**GOOD, "args": [*args(), "@/etc/tenant/more-flags"]}))
    assert v.path == f"{ARGS}[9]"
    assert "cannot read more flags from a file" in v.message


@pytest.mark.parametrize("name", ["CACERT_PATH", "KEYSTORE_PATH", "SPIFFE_ENDPOINT_SOCKET", "GODEBUG", "LD_PRELOAD"])
def test_environment_ghostunnel_reads_is_denied(name: str) -> None:
    env = [{"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::1:role/x"}, {"name": name, "value": "/tmp/x"}]
    (v,) = fired(with_sidecar({**GOOD, "env": env}))
    assert v.path == "spec.template.spec.initContainers[0].env[1].name"
    assert f"cannot set {name}" in v.message


def test_env_from_is_denied() -> None:
    (v,) = fired(with_sidecar({**GOOD, "envFrom": [{"configMapRef": {"name": "ghostunnel-flags"}}]}))
    assert v.path == "spec.template.spec.initContainers[0].envFrom"


def test_what_platform_admission_adds_is_allowed() -> None:
    """ServiceAccount admission mounts the API token into every container, also the sidecar; workload-identity
    webhooks add their token and variables."""
    token = {"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
             "readOnly": True}  # fmt: skip
    irsa = {"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}
    env = [{"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::1:role/x"}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE"}]
    sidecar = {**GOOD, "env": env, "volumeMounts": [*GOOD["volumeMounts"], token, irsa]}
    volumes: list[Obj] = [CERTS, {"name": token["name"], "projected": {}}, {"name": irsa["name"], "projected": {}}]
    assert fired(with_sidecar(sidecar, volumes=volumes)) == []


@pytest.mark.parametrize(
    ("mount", "volume"),
    [
        pytest.param(
            {"name": "my-ca", "mountPath": "/etc/tenantguard/tls/ca.crt", "subPath": "ca.crt"},
            {"name": "my-ca", "configMap": {"name": "my-ca"}},
            id="sub-path-over-the-trust-bundle",
        ),
        pytest.param(
            {"name": "tools", "mountPath": "/usr/bin"},
            {"name": "tools", "image": {"reference": "registry.acme.example/fake-ghostunnel:1"}},
            id="image-volume-over-the-program",
        ),
        pytest.param(
            {"name": "tools", "mountPath": "/var/run/secrets/../../../usr/bin"},
            {"name": "tools", "emptyDir": {}},
            id="backsteps-out-of-the-credentials",
        ),
    ],
)
def test_other_mounts_are_denied(mount: Obj, volume: Obj) -> None:
    sidecar = {**GOOD, "volumeMounts": [*GOOD["volumeMounts"], mount]}
    (v,) = fired(with_sidecar(sidecar, volumes=[CERTS, volume]))
    assert v.path == "spec.template.spec.initContainers[0].volumeMounts[1]"
    assert f"remove the mount at {mount['mountPath']!r}" in v.message


def test_the_certificate_directory_from_a_sub_path_is_denied() -> None:
    mount = {**GOOD["volumeMounts"][0], "subPath": "acme"}
    found = fired(with_sidecar({**GOOD, "volumeMounts": [mount]}))
    assert [v.path for v in found] == [
        "spec.template.spec.initContainers[0].volumeMounts",
        "spec.template.spec.initContainers[0].volumeMounts[0]",
    ]


def test_gateway_identities_follow_the_settings() -> None:
    """A sidecar injected under other gateway namespaces admits those; a tenant cannot add its own."""
    settings = replace(DEFAULT_SETTINGS, gateway_namespaces=("batch-gateway",))
    sidecar = sidecar_container(settings, "acme", 8000)
    assert "--allow-uri=spiffe://tenantguard.io/gateway/batch-gateway" in sidecar["args"]
    assert [v for v in evaluate(with_sidecar(sidecar), cluster_for(settings=settings), request()).violations
            if v.rule == "MTLS002"] == []  # fmt: skip
    (v,) = fired(with_sidecar(sidecar))  # under the default settings, batch-gateway is not a gateway
    assert v.path == f"{ARGS}[7]"


def test_missing_required_flag_is_denied() -> None:
    (v,) = fired(with_sidecar({**GOOD, "args": args(("--cacert", None))}))
    assert v.path == ARGS
    assert "--cacert=/etc/tenantguard/tls/ca.crt" in v.message


@pytest.mark.parametrize("target", ["vllm.globex-prod.svc:8000", "10.0.0.7:8000"])
def test_forwarding_off_the_pod_is_denied(target: str) -> None:
    (v,) = fired(with_sidecar({**GOOD, "args": args(("--target", f"--target={target}"))}))
    assert v.path == f"{ARGS}[8]"
    assert "127.0.0.1" in v.message and target in v.message


@pytest.mark.parametrize(
    ("sidecar", "volumes"),
    [
        pytest.param({**GOOD, "volumeMounts": []}, [CERTS], id="no-mount"),
        pytest.param(
            GOOD,
            [{"name": "tenantguard-mtls-certs", "secret": {"secretName": "my-own-cert"}}],
            id="own-secret-under-the-volume-name",
        ),
        pytest.param(GOOD, [], id="no-volume"),
    ],
)
def test_certificate_must_come_from_the_workload_secret(sidecar: Obj, volumes: list[Obj]) -> None:
    (v,) = fired(with_sidecar(sidecar, volumes=volumes))
    assert v.path == "spec.template.spec.initContainers[0].volumeMounts"
    assert "'tenantguard-workload-cert'" in v.message


def test_sidecar_name_is_reserved_outside_init_containers() -> None:
    obj = deployment(name="vllm", containers=[vllm(), {"name": "tenantguard-mtls", "image": "x"}])
    (v,) = fired(obj)
    assert v.path == "spec.template.spec.containers[1].name"
    assert "reserved" in v.message


def test_update_removing_the_sidecar_is_denied() -> None:
    (v,) = fired(with_sidecar(None), old=with_sidecar(GOOD))
    assert v.path == "spec.template.spec.initContainers"
    assert "removed" in v.message


def test_update_dropping_the_port_and_the_sidecar_together_is_denied() -> None:
    new = deployment(name="vllm", volumes=[CERTS])  # the attacker's update: no port, no sidecar
    (v,) = fired(new, old=with_sidecar(GOOD))
    assert v.path == "spec.template.spec.initContainers"
    assert v.message.startswith("the mTLS sidecar 'tenantguard-mtls' was removed; a pod that had it keeps it")


def test_admission_puts_a_dropped_sidecar_back() -> None:
    old = with_sidecar(GOOD)
    result = review(deployment(name="vllm", volumes=[CERTS]), cluster_for(), request("UPDATE", old))
    assert [c["name"] for c in result.mutated["spec"]["template"]["spec"]["initContainers"]] == ["tenantguard-mtls"]
    assert [v.rule for v in result.evaluation.violations if v.rule.startswith("MTLS")] == []


def test_update_changing_the_sidecar_is_denied() -> None:
    changed = copy.deepcopy(GOOD)
    changed["resources"]["limits"]["cpu"] = "4"
    (v,) = fired(with_sidecar(changed), old=with_sidecar(GOOD))
    assert v.path == "spec.template.spec.initContainers[0]"
    assert "cannot be changed" in v.message


def test_update_to_what_the_webhook_injects_today_is_allowed() -> None:
    """After a settings upgrade (new image) or an app port change, re-injecting must not be refused."""
    old = with_sidecar({**GOOD, "image": "ghcr.io/ghostunnel/ghostunnel:v1.7.0"})
    assert fired(with_sidecar(GOOD), old=old) == []
    new_port = with_sidecar(sidecar_container(DEFAULT_SETTINGS, "acme", 9000), port=9000)
    assert fired(new_port, old=with_sidecar(GOOD)) == []


@pytest.mark.parametrize("mode", ["istio", "none"])
def test_other_modes_are_not_judged(mode: str) -> None:
    obj = with_sidecar({**GOOD, "image": "x"})
    assert fired(obj, tenant={"mtls": {"mode": mode}}) == []


def test_sidecar_port_is_reserved_for_app_containers() -> None:
    obj = with_sidecar(GOOD, port=8443)
    (v,) = fired(obj)
    assert v.path == "spec.template.spec.containers[0].ports[0].containerPort"
    assert "port 8443 is reserved for the mTLS sidecar" in v.message
