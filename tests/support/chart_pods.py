"""Run a container of an installed chart as a local process: KWOK pods run no containers.

The container's args are used as the cluster stores them; its volumes are written into a local folder from the
objects they name (Secrets, ConfigMaps, the projected ServiceAccount token from `kubectl create token` — what the
kubelet would do), and each mount path in the args is replaced by that folder. The Kubernetes client finds the
token through a kubeconfig made of the projected files (the in-cluster path /var/run/secrets/... is fixed in the
client and cannot be redirected), so the process talks to the API server as the pod's ServiceAccount and
nothing else. The image's entrypoint is `python3 -m tenantguard.cli`, here the venv's `tenantguard`.
"""

from __future__ import annotations

import base64
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.devcluster import DevCluster

TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalContainer:
    argv: list[str]
    env: dict[str, str]
    mounts: dict[str, Path]  # mountPath -> local folder


def _items(data: dict[str, str], items: list[dict[str, str]] | None) -> dict[str, str]:
    return {i["path"]: data[i["key"]] for i in items} if items else dict(data)


def _write(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)


def _secret(cluster: DevCluster, ns: str, name: str, items: list[dict[str, str]] | None) -> dict[str, bytes]:
    data = cluster.get("secret", name, "-n", ns)["data"]
    return {path: base64.b64decode(v) for path, v in _items(data, items).items()}


def _config_map(cluster: DevCluster, ns: str, name: str, items: list[dict[str, str]] | None) -> dict[str, bytes]:
    data = cluster.get("configmap", name, "-n", ns)["data"]
    return {path: v.encode() for path, v in _items(data, items).items()}


def _projected(cluster: DevCluster, ns: str, sa: str, sources: list[dict[str, Any]]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for source in sources:
        if "serviceAccountToken" in source:
            spec = source["serviceAccountToken"]
            duration = f"{spec.get('expirationSeconds', 3600)}s"
            token = cluster.kubectl("create", "token", sa, "-n", ns, f"--duration={duration}").stdout.strip()
            files[spec["path"]] = token.encode()
        elif "configMap" in source:
            cm = source["configMap"]
            files.update(_config_map(cluster, ns, cm["name"], cm.get("items")))
        elif "downwardAPI" in source:
            for item in source["downwardAPI"]["items"]:
                if item["fieldRef"]["fieldPath"] != "metadata.namespace":
                    raise AssertionError(f"downward API field not simulated: {item['fieldRef']['fieldPath']}")
                files[item["path"]] = ns.encode()
        else:
            raise AssertionError(f"projected source not simulated: {sorted(source)}")
    return files


def _volume(cluster: DevCluster, ns: str, sa: str, volume: dict[str, Any], folder: Path) -> None:
    if "secret" in volume:
        _write(folder, _secret(cluster, ns, volume["secret"]["secretName"], volume["secret"].get("items")))
    elif "configMap" in volume:
        _write(folder, _config_map(cluster, ns, volume["configMap"]["name"], volume["configMap"].get("items")))
    elif "projected" in volume:
        _write(folder, _projected(cluster, ns, sa, volume["projected"]["sources"]))
    elif "emptyDir" in volume or "persistentVolumeClaim" in volume:
        folder.mkdir(parents=True, exist_ok=True)  # a PVC's storage is a local folder here
    else:
        raise AssertionError(f"volume not simulated: {sorted(volume)}")


def _kubeconfig(server: str, token_dir: Path, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "pod", "cluster": {"server": server, "certificate-authority": str(token_dir / "ca.crt")}}
        ],
        "users": [{"name": "pod", "user": {"tokenFile": str(token_dir / "token")}}],
        "contexts": [{"name": "pod", "context": {"cluster": "pod", "user": "pod", "namespace": ns}}],
        "current-context": "pod",
    }


def local_container(
    cluster: DevCluster, ns: str, pod: dict[str, Any], container: dict[str, Any], work: Path
) -> LocalContainer:
    """The container of a pod template (as stored in the cluster), ready to run here as its ServiceAccount."""
    sa = pod["serviceAccountName"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts: dict[str, Path] = {}
    for mount in container.get("volumeMounts", []):
        folder = work / mount["name"]
        _volume(cluster, ns, sa, volumes[mount["name"]], folder)
        mounts[mount["mountPath"]] = folder
    if TOKEN_PATH not in mounts:
        raise AssertionError(f"container {container['name']} has no ServiceAccount token mounted at {TOKEN_PATH}")
    kubeconfig = work / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(_kubeconfig(cluster.server, mounts[TOKEN_PATH], ns)))
    args = []
    for arg in container.get("args", []):
        for path in sorted(mounts, key=len, reverse=True):
            arg = arg.replace(path, str(mounts[path]))
        args.append(arg)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    env["KUBECONFIG"] = str(kubeconfig)
    if "command" in container:
        raise AssertionError(f"container {container['name']} replaces the image's entrypoint: not simulated")
    exe = Path(sys.executable).with_name("tenantguard")
    return LocalContainer(argv=[str(exe), *args], env=env, mounts=mounts)


def token_of(local: LocalContainer) -> str:
    return (local.mounts[TOKEN_PATH] / "token").read_text()
