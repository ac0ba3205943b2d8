"""`tenantguard serve --config` picks up an edited settings file without a restart, and keeps serving the
previous settings when the edit is broken — against the real server process over TLS (static mode)."""

from __future__ import annotations

import json
import ssl
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.devcluster import wait_for
from tests.support.fixtures import pod
from tests.support.webhook_runner import TENANTS, WebhookProcess

pytestmark = pytest.mark.e2e


def _validate(hook: WebhookProcess, obj: dict[str, Any]) -> dict[str, Any]:
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "u-1",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": obj["metadata"]["namespace"],
            "name": obj["metadata"]["name"],
            "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["acme-devs"]},
            "object": obj,
        },
    }
    ctx = ssl.create_default_context(cafile=str(hook.cert_dir / "ca.crt"))
    req = urllib.request.Request(
        f"{hook.url}/validate", data=json.dumps(review).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
        answer: dict[str, Any] = json.loads(resp.read())["response"]
    return answer


def test_serve_reloads_its_settings_file_and_ignores_a_broken_edit(tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("ruleModes: {PSS002: enforce}\n")
    hook = WebhookProcess(kubeconfig=None, tenants=TENANTS, work_dir=tmp_path / "hook", config=config)
    hook.start()
    try:
        host_network = pod(hostNetwork=True)
        assert _validate(hook, host_network)["allowed"] is False
        config.write_text("ruleModes: {PSS002: warn}\n")
        answer = wait_for(
            lambda: (a := _validate(hook, host_network))["allowed"] and a, what="the warn mode", timeout=20
        )
        assert any(w.startswith("[PSS002]") for w in answer["warnings"])
        config.write_text("ruleModes: {PSS02: enforce}\n")  # a typo: refused, the warn mode stays
        wait_for(lambda: "settings reload refused" in hook.log_tail(50), what="the refusal in the log", timeout=20)
        assert _validate(hook, host_network)["allowed"] is True
    finally:
        hook.stop()
