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


MODEL_FROM_CONFIGMAP = """\
apiVersion: v1
kind: Pod
metadata: {name: vllm, namespace: acme-prod}
spec:
  containers:
  - name: vllm
    image: docker.io/vllm/vllm-openai:v0.6.3
    args: ["--model", "$(MODEL)"]
    env:
    - name: MODEL
      valueFrom: {configMapKeyRef: {name: serving, key: model}}
"""
SERVING_CONFIGMAP = """\
---
apiVersion: v1
kind: ConfigMap
metadata: {name: serving, namespace: acme-prod}
data: {model: "s3://globex-models/ft-7b"}
"""


def test_lint_reads_a_model_from_a_configmap_among_its_inputs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    alone = tmp_path / "alone.yaml"
    alone.write_text(MODEL_FROM_CONFIGMAP)
    _, out, _ = _lint(capsys, "--fail-on", "warning", str(alone))
    assert "SRV008" in out and "ConfigMap 'serving' key 'model', which is not known here" in out
    both = tmp_path / "both.yaml"
    both.write_text(MODEL_FROM_CONFIGMAP + SERVING_CONFIGMAP)
    code, out, _ = _lint(capsys, str(both))
    assert code == 1 and "SRV008" not in out
    assert "SRV003" in out and "'s3://globex-models/ft-7b'" in out


# --- what lint cannot judge -------------------------------------------------------------------------------

MINER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: miner, namespace: team-x}
spec:
  selector: {matchLabels: {app: miner}}
  template:
    metadata: {labels: {app: miner}}
    spec:
      hostNetwork: true
      containers:
      - name: miner
        image: quay.io/evil/miner:1
        securityContext: {privileged: true}
        resources: {limits: {nvidia.com/gpu: 8}}
"""
NO_NAMESPACE_POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x}]\n"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_an_object_in_a_namespace_no_tenant_owns_is_listed_and_fails(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    miner = _write(tmp_path, "miner.yaml", MINER)
    code, out, _ = _lint(capsys, miner, files["clean.yaml"])
    assert code == 1, out
    assert f"{miner}:1  not-judged  Deployment team-x/miner  no Tenant owns namespace 'team-x'" in out
    assert "no violations" in out and "1 not judged (1 outside every Tenant" in out


def test_allow_unowned_lists_them_without_failing(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    miner = _write(tmp_path, "miner.yaml", MINER)
    code, out, _ = _lint(capsys, "--allow-unowned", miner, files["clean.yaml"])
    assert code == 0 and "not-judged (allowed)  Deployment team-x/miner" in out


def test_nothing_judged_is_unusable_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    miner = _write(tmp_path, "miner.yaml", MINER)
    code, out, _ = _lint(capsys, "--allow-unowned", miner)
    assert code == 2 and "nothing could be judged: 1 object, none in a namespace a Tenant owns" in out


@pytest.mark.parametrize("tenants", [None, "empty-folder", "folder-without-tenants"])
def test_no_tenants_is_unusable_input(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path, tenants: str | None
) -> None:
    args = ["lint", files["clean.yaml"], _write(tmp_path, "miner.yaml", MINER)]
    if tenants is not None:
        folder = tmp_path / tenants
        folder.mkdir()
        if tenants == "folder-without-tenants":
            (folder / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: acme-prod}\n")
        args += ["--tenants", str(folder)]
    code = main(args)
    out = capsys.readouterr().out
    expected = f"no Tenant found in --tenants {tmp_path / tenants}" if tenants else "no Tenants given (--tenants PATH)"
    assert code == 2 and expected in out, out
    assert "not-judged  Deployment team-x/miner  no Tenants were given" in out


def test_a_pod_without_namespace_and_no_n_is_not_judged(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    orphan = _write(tmp_path, "pod.yaml", NO_NAMESPACE_POD)
    code, out, _ = _lint(capsys, orphan, files["clean.yaml"])
    assert code == 1 and "not-judged  Pod p  no metadata.namespace and no -n" in out
    code, out, _ = _lint(capsys, "-n", "acme-prod", orphan)
    assert code == 1 and "PSS014" in out and "not-judged" not in out, "with -n it is judged"


def test_exempt_namespaces_and_ungoverned_cluster_kinds_are_listed_but_do_not_fail(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    platform = _write(
        tmp_path,
        "platform.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\n---\n"
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\nprovisioner: x\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: viewer}\nrules: []\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: acme-prod, labels: {tenantguard.io/tenant: acme}}\n",
    )
    code, out, _ = _lint(capsys, platform, "--format", "json")
    doc = json.loads(out)
    assert code == 0, doc
    assert {(n["kind"], n["reason"], n["blocking"]) for n in doc["notJudged"]} == {
        ("ConfigMap", "exempt-namespace", False),
        ("StorageClass", "cluster-scoped", False),
    }
    assert doc["summary"]["judged"] == 2, "a ClusterRole and a Namespace are judged everywhere"


def test_every_format_reports_what_was_not_judged(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    miner = _write(tmp_path, "miner.yaml", MINER)
    outputs = {}
    for fmt in ("json", "sarif", "junit", "github"):
        code, outputs[fmt], err = _lint(capsys, miner, files["clean.yaml"], "--format", fmt)
        assert code == 1 and "1 object(s) outside every Tenant" in err
    (skipped,) = json.loads(outputs["json"])["notJudged"]
    assert skipped["reason"] == "unowned-namespace" and skipped["blocking"] is True and skipped["line"] == 1
    sarif = json.loads(outputs["sarif"])
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    (note,) = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "not-judged/unowned-namespace" and note["level"] == "error"
    skipped_case = ET.fromstring(outputs["junit"]).find("testsuite/testcase[@name='Deployment team-x/miner']/skipped")
    assert skipped_case is not None and "no Tenant owns namespace 'team-x'" in (skipped_case.get("message") or "")
    assert f"::error file={miner},line=1,title=not judged::Deployment team-x/miner" in outputs["github"]


# --- exceptions in every output ---------------------------------------------------------------------------

MIXTRAL = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: mixtral, namespace: acme-prod}
spec:
  selector: {matchLabels: {app: mixtral}}
  template:
    metadata: {labels: {app: mixtral}}
    spec:
      hostNetwork: true
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: vllm
        image: registry.acme.example/vllm:1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: mixtral-5d8f9c7b6
  namespace: acme-prod
  labels: {app: mixtral, pod-template-hash: 5d8f9c7b6}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: mixtral, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {app: mixtral}}
  template:
    metadata: {labels: {app: mixtral, pod-template-hash: 5d8f9c7b6}}
    spec:
      hostNetwork: true
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: vllm
        image: registry.acme.example/vllm:1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"""


def _exception(tmp_path: Path, until: str) -> str:
    return _write(
        tmp_path,
        "settings.yaml",
        "exceptions:\n- rule: PSS002\n  kind: Deployment\n  name: mixtral\n"
        f"  reason: 'INC-7: NCCL over the host network'\n  until: '{until}'\n",
    )


def test_waived_findings_appear_in_every_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manifests = _write(tmp_path, "mixtral.yaml", MIXTRAL)
    config = _exception(tmp_path, "2099-01-01")
    out = {}
    for fmt in ("text", "json", "sarif", "junit", "github"):
        code, out[fmt], _ = _lint(capsys, "--config", config, manifests, "--format", fmt)
        assert code == 0, (fmt, out[fmt])
    waived = json.loads(out["json"])["waived"]
    assert [(w["kind"], w["rule"]) for w in waived] == [("Deployment", "PSS002"), ("ReplicaSet", "PSS002")]
    assert waived[1]["waiver"] == {
        "reason": "INC-7: NCCL over the host network",
        "until": "2099-01-01",
        "expired": False,
    }
    assert "PSS002  waived  ReplicaSet acme-prod/mixtral-5d8f9c7b6" in out["text"]
    assert "waived until 2099-01-01: INC-7: NCCL over the host network" in out["text"]
    sarif = json.loads(out["sarif"])
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    suppressions = [r["suppressions"] for r in sarif["runs"][0]["results"]]
    assert (
        suppressions
        == [
            [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": "INC-7: NCCL over the host network (until 2099-01-01)",
                }
            ]
        ]
        * 2
    )
    skipped = ET.fromstring(out["junit"]).findall("testsuite/testcase/skipped")
    assert [s.get("message") for s in skipped] == ["waived until 2099-01-01: INC-7: NCCL over the host network"] * 2
    assert out["github"].count("title=PSS002 waived::") == 2


def test_an_expired_waiver_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manifests = _write(tmp_path, "mixtral.yaml", MIXTRAL)
    config = _exception(tmp_path, "2020-01-01")
    code, text, _ = _lint(capsys, "--config", config, manifests)
    assert code == 1 and text.count("(waiver for PSS002 expired 2020-01-01)") == 2, text
    _, out, _ = _lint(capsys, "--config", config, manifests, "--format", "json")
    assert {r["waiver"]["expired"] for r in json.loads(out)["results"]} == {True}


# --- JUnit counts ------------------------------------------------------------------------------------------


def test_junit_has_one_testcase_per_object_and_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: acme-prod}\nspec:\n"
        "  hostNetwork: true\n  hostPID: true\n"
        "  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"
        "  containers:\n  - name: a\n    image: quay.io/evil/a:1\n"
        "    securityContext: {privileged: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n",
    )
    _, out, _ = _lint(capsys, bad, "--format", "junit")
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None
    failing = {c.get("name"): c.find("failure") for c in suite.findall("testcase") if c.find("failure") is not None}
    assert set(failing) >= {"Pod acme-prod/p PSS002", "Pod acme-prod/p PSS003", "Pod acme-prod/p SRV002"}
    assert suite.get("failures") == str(len(failing))
    pss002 = failing["Pod acme-prod/p PSS002"]
    assert pss002 is not None and (pss002.get("message") or "").endswith("(and 1 more)"), "hostNetwork and hostPID"
