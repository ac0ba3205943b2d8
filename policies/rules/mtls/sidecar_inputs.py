"""What the mTLS sidecar reads besides its args — its environment and its files — and which of it a tenant may touch.

ghostunnel reads flags from environment variables (`CACERT_PATH`, `CERT_PATH`, `KEY_PATH`, `KEYSTORE_PATH`,
`KEYSTORE_PASS`, `PKCS11_*`, `SPIFFE_ENDPOINT_SOCKET`), Go reads `GODEBUG` (which can re-enable weak X.509 and TLS
behaviour) and the dynamic loader reads `LD_*` (the release image's binary links libc). `envFrom` could set any
of them, so it is refused outright; other variables are left alone: cloud workload-identity webhooks add their
own (`AWS_ROLE_ARN`, `AZURE_CLIENT_ID`…) to every container.

A mount can replace what the sidecar trusts (a `subPath` mount over `ca.crt`) or what it runs (an image volume
over `/usr/bin`). It may mount its certificate Secret at the certificate directory, whole, and credentials under
`/var/run/secrets/` — where Kubernetes' ServiceAccount admission puts the API token into every container, and
workload-identity webhooks their tokens — and nothing else.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from tenantguard.policies.model import Finding
from tenantguard.policies.paths import dotted
from tenantguard.policies.rules.mtls.sidecar import CERT_DIR
from tenantguard.policies.subjects import PodTemplate
from tenantguard.policies.visit import ContainerRef

SIDECAR_ENV = frozenset(
    {
        "CACERT_PATH", "CERT_PATH", "KEY_PATH", "KEYSTORE_PATH", "KEYSTORE_PASS",
        "PKCS11_MODULE", "PKCS11_PIN", "PKCS11_TOKEN_LABEL", "SPIFFE_ENDPOINT_SOCKET", "GODEBUG",
    }
)  # fmt: skip
CREDENTIAL_MOUNTS = "/var/run/secrets/"


def environment(ref: ContainerRef) -> Iterator[Finding]:
    if ref.container.get("envFrom"):
        yield Finding(
            path=dotted((*ref.path, "envFrom")),
            message="the mTLS sidecar takes no envFrom (it could set ghostunnel's CACERT_PATH, KEYSTORE_PATH…)",
        )
    env = ref.container.get("env")
    for i, var in enumerate(env if isinstance(env, list) else ()):
        name = var.get("name") if isinstance(var, dict) else None
        if isinstance(name, str) and (name in SIDECAR_ENV or name.startswith("LD_")):
            yield Finding(
                path=dotted((*ref.path, "env", i, "name")),
                message=f"the mTLS sidecar's environment cannot set {name} (ghostunnel, Go or the loader reads it)",
            )


def _whole(mount: dict[str, object]) -> bool:
    return mount.get("mountPath") == CERT_DIR and not mount.get("subPath") and not mount.get("subPathExpr")


def mounts(ref: ContainerRef, pod: PodTemplate, secret_name: str) -> Iterator[Finding]:
    volumes = {v.get("name"): v for v in pod.spec.get("volumes") or () if isinstance(v, dict)}
    found = ref.container.get("volumeMounts")
    listed = [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []
    secrets = [(volumes.get(m.get("name")) or {}).get("secret") or {} for m in listed if _whole(m)]
    if not any(isinstance(s, dict) and s.get("secretName") == secret_name for s in secrets):
        yield Finding(
            path=dotted((*ref.path, "volumeMounts")),
            message=f"the mTLS sidecar must mount Secret {secret_name!r} at {CERT_DIR}",
        )
    for i, mount in enumerate(listed):
        path = mount.get("mountPath")
        where = posixpath.normpath(path) + "/" if isinstance(path, str) and path.startswith("/") else ""
        if _whole(mount) or where.startswith(CREDENTIAL_MOUNTS):
            continue
        yield Finding(
            path=dotted((*ref.path, "volumeMounts", i)),
            message=f"the mTLS sidecar mounts only its certificate Secret at {CERT_DIR} and credentials under "
            f"{CREDENTIAL_MOUNTS}; remove the mount at {path!r}",
        )
