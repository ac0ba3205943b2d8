"""`tenantguard audit --output-configmap`: the target, the size cap and the server-side apply it sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tenantguard.audit import report_configmap
from tenantguard.audit.report_configmap import Target, parse_target, write
from tenantguard.cli import main


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, list[tuple[str, Any]], Any, str]] = []

    def request(self, method: str, path: str, query: list[tuple[str, Any]], *, body: Any, content_type: str) -> Any:
        self.calls.append((method, path, query, body, content_type))
        return {}


def test_a_report_is_applied_under_its_key_with_its_own_field_manager() -> None:
    reader = Recorder()
    assert write(reader, Target("tg-system", "tg-reports"), "audit.html", "<!DOCTYPE html>") == 15
    ((method, path, query, body, content_type),) = reader.calls
    assert (method, path) == ("PATCH", "/api/v1/namespaces/tg-system/configmaps/tg-reports")
    assert ("fieldManager", "tenantguard-audit-audit.html") in query and ("force", "true") in query
    assert content_type == "application/apply-patch+yaml"
    assert orjson.loads(body)["data"] == {"audit.html": "<!DOCTYPE html>"}


def test_a_report_over_one_mebibyte_is_refused_with_what_to_do() -> None:
    reader = Recorder()
    with pytest.raises(ValueError, match=r"more than a ConfigMap holds \(1 MiB\).*persistence=pvc"):
        write(reader, Target("a", "b"), "audit.json", "x" * (report_configmap.LIMIT + 1))
    assert reader.calls == []


@pytest.mark.parametrize("text", ["reports", "a/b/c", "A/b", "/b", "a/"])
def test_a_malformed_target_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="NAMESPACE/NAME"):
        parse_target(text)


def test_format_keys() -> None:
    from tenantguard.audit.audit_cli import FORMATS

    assert [report_configmap.key_for(f) for f in FORMATS] == [f"audit.{e}" for e in ("json", "md", "html", "csv")]


def test_the_cli_refuses_it_for_a_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--snapshot", str(tmp_path), "--output-configmap", "a/b"]) == 2
    assert "--output-configmap needs a live cluster" in capsys.readouterr().err


def test_the_cli_refuses_a_malformed_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--kubeconfig", "/nonexistent", "--output-configmap", "reports"]) == 2
    assert "expected NAMESPACE/NAME" in capsys.readouterr().err
