"""`tenantguard lint`: exit codes, --fail-on, stdin, formats (SARIF against its schema, JUnit, GitHub)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from tenantguard.cli import main

ROOT = Path(__file__).resolve().parents[2]
TENANTS = str(ROOT / "examples" / "tenants")
SARIF_SCHEMA = ROOT / "tests/.tools/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"

WRONG_LABEL = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: prompts
  namespace: acme-prod
  labels:
    tenantguard.io/tenant: globex
"""
CLEAN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: acme-prod}\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, text in {"bad.yaml": WRONG_LABEL, "clean.yaml": CLEAN, "broken.yaml": "kind: [\n"}.items():
        (tmp_path / name).write_text(text)
        out[name] = str(tmp_path / name)
    return out


def _lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["lint", "--tenants", TENANTS, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_input_exits_0(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    code, out, _ = _lint(capsys, files["clean.yaml"])
    assert code == 0 and "no violations" in out


def test_violation_exits_1_with_file_line_rule_and_fix(
    capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    code, out, _ = _lint(capsys, files["bad.yaml"], files["clean.yaml"])
    assert code == 1
    line = next(ln for ln in out.splitlines() if "TEN004" in ln)
    assert line.startswith(f"{files['bad.yaml']}:7  TEN004  error  ConfigMap acme-prod/prompts")
    assert "label is 'globex'" in line and "—" in line


def test_fail_on_raises_the_threshold(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # GPU014 (an autoscaler whose target is not among the inputs) is a warning: exit 1 only with --fail-on warning.
    hpa = tmp_path / "hpa.yaml"
    hpa.write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: vllm, namespace: acme-prod}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: vllm}\n  maxReplicas: 4\n"
    )
    code_error, out, _ = _lint(capsys, str(hpa))
    assert "GPU014  warning" in out and code_error == 0
    code_warning, _, _ = _lint(capsys, "--fail-on", "warning", str(hpa))
    assert code_warning == 1


def test_an_autoscaler_is_judged_with_its_target_among_the_inputs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hpa = tmp_path / "hpa.yaml"
    hpa.write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: vllm}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: vllm}\n  maxReplicas: 9\n"
    )
    dep = tmp_path / "deploy.yaml"
    dep.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vllm}\nspec:\n  selector: {matchLabels: {app: v}}\n"
        "  template:\n    metadata: {labels: {app: v}}\n    spec:\n      containers:\n      - name: v\n"
        "        image: nvcr.io/nvidia/vllm:1\n        resources: {limits: {nvidia.com/gpu: 1}}\n"
    )
    code, out, _ = _lint(capsys, "-n", "acme-prod", "--format", "json", str(hpa), str(dep))
    found = {(r["rule"], r["kind"]) for r in json.loads(out)["results"]}
    assert code == 1 and ("GPU006", "HorizontalPodAutoscaler") in found, "9 x 1 GPU > 8"
    assert ("GPU014", "HorizontalPodAutoscaler") not in found


def test_broken_file_exits_2_and_others_are_still_reported(
    capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    code, out, _ = _lint(capsys, files["broken.yaml"], files["bad.yaml"], "--format", "json")
    doc = json.loads(out)
    assert code == 2
    assert [e["file"] for e in doc["errors"]] == [files["broken.yaml"]] and doc["errors"][0]["line"] >= 1
    assert {r["rule"] for r in doc["results"]} == {"TEN004"}


def test_json_results_carry_every_documented_field(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    _, out, _ = _lint(capsys, files["bad.yaml"], "--format", "json")
    doc = json.loads(out)
    assert doc["summary"]["violations"] == 1 and doc["summary"]["objects"] == 1
    (result,) = doc["results"]
    for key in (
        "rule",
        "category",
        "severity",
        "message",
        "kind",
        "namespace",
        "name",
        "file",
        "line",
        "tenant",
        "path",
    ):
        assert key in result
    assert result["category"] == "tenancy" and result["tenant"] == "acme" and result["line"] == 7


def test_sarif_validates_against_the_sarif_2_1_0_schema(
    capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    _, out, _ = _lint(capsys, files["bad.yaml"], files["broken.yaml"], "--format", "sarif")
    doc = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validate(doc, schema)
    (result,) = doc["runs"][0]["results"]
    assert result["ruleId"] == "TEN004"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "TEN004"
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_junit_counts_failures_and_errors(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    _, out, _ = _lint(capsys, files["bad.yaml"], files["clean.yaml"], files["broken.yaml"], "--format", "junit")
    root = ET.fromstring(out)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("1", "1")
    failure = suite.find("testcase/failure")
    assert failure is not None and "[TEN004]" in (failure.get("message") or "")


def test_github_annotations(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    _, out, _ = _lint(capsys, files["bad.yaml"], "--format", "github")
    assert out.startswith(f"::error file={files['bad.yaml']},line=7,title=TEN004 ")


def test_output_file(capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = _lint(capsys, files["bad.yaml"], "--format", "json", "--output", str(target))
    assert code == 1 and out == "" and json.loads(target.read_text())["summary"]["violations"] == 1


def test_invalid_config_names_the_file_and_field(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("enforcement:\n  gpu: deny\n")
    code, _, err = _lint(capsys, "--config", str(cfg), files["clean.yaml"])
    assert code == 2 and f"{cfg}: enforcement.gpu: must be one of" in err


def test_invalid_tenant_is_unusable_input_with_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "tenant.yaml"
    bad.write_text(
        "apiVersion: tenantguard.io/v1alpha1\nkind: Tenant\nmetadata: {name: x}\n"
        "spec:\n  namespaces: [x]\n  gpu: {maxPerPod: two}\n"
    )
    code, out, _ = _lint(capsys, str(bad))
    assert code == 2 and f"{bad}:1: Tenant 'x': spec.gpu.maxPerPod: must be integer" in out


def test_stdin_through_the_console_script() -> None:
    exe = Path(sys.executable).with_name("tenantguard")
    proc = subprocess.run(
        [str(exe), "lint", "-", "--tenants", TENANTS, "--format", "json"],
        input=WRONG_LABEL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    (result,) = json.loads(proc.stdout)["results"]
    assert result["file"] == "<stdin>" and result["rule"] == "TEN004"
