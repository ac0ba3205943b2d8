"""The CI examples users copy (docs/ci.md, .pre-commit-hooks.yaml) run here, command line for command line.

Each `run:` (GitHub Actions) and `script:` line (GitLab CI) is taken from the docs and run with bash in a folder
laid out as the docs assume (`deploy/`, `platform/tenants/`); the pre-commit hook runs as pre-commit would (entry,
args, then the file names). Only the `pip install` lines are not run: the venv's tenantguard stands in for the
package (their version is checked against pyproject.toml). The nightly audit job reads the dev cluster.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.devcluster import DevCluster
from tests.support.webhook_runner import WebhookProcess

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ci.md"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
BROKEN = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: prompts
  namespace: acme-prod
  labels: {tenantguard.io/tenant: globex}
"""


def yaml_blocks() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
    return [yaml.safe_load(b) for b in blocks]


def block_with(key: str) -> dict[str, Any]:
    (found,) = [b for b in yaml_blocks() if isinstance(b, dict) and key in b]
    return found


def workspace(tmp_path: Path, *, broken: bool) -> Path:
    shutil.copytree(ROOT / "examples" / "manifests", tmp_path / "deploy")
    shutil.copytree(ROOT / "examples" / "tenants", tmp_path / "platform" / "tenants")
    if broken:
        (tmp_path / "deploy" / "broken.yaml").write_text(BROKEN)
    return tmp_path


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    env.update(extra or {})
    return env


def run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def is_install(script: str) -> bool:
    if script.strip().startswith("pip install"):
        assert f"tenantguard=={VERSION}" in script, f"install line names another version: {script}"
        return True
    return False


def expressions(text: str, values: dict[str, str]) -> str:
    def value(m: re.Match[str]) -> str:
        return values[m.group(1).strip()]

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def github_steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = block_with("jobs")["jobs"][job]["steps"]
    return steps


@pytest.mark.parametrize("broken", [False, True], ids=["clean", "broken"])
def test_github_lint_job(tmp_path: Path, broken: bool) -> None:
    work = workspace(tmp_path, broken=broken)
    steps = github_steps("lint")
    (lint,) = [s for s in steps if s.get("name") == "Lint manifests"]
    assert not is_install(lint["run"])
    proc = run(lint["run"], work, environment())
    assert proc.returncode == (1 if broken else 0), proc.stderr
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert upload["if"] == "always()"  # the findings are uploaded when the lint step fails the job
    sarif = json.loads((work / upload["with"]["sarif_file"]).read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == (["TEN004"] if broken else [])
    assert all(is_install(s["run"]) for s in steps if "run" in s and s is not lint)


def test_github_audit_job(tmp_path: Path, dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    """The nightly audit against a cluster (the dev cluster, its Tenants seeded), reports kept as an artifact."""
    steps = github_steps("audit")
    (audit,) = [s for s in steps if s.get("name") == "Audit the cluster"]
    values = {
        "runner.temp": str(tmp_path),
        "secrets.AUDIT_KUBECONFIG": dev_cluster.kubeconfig.read_text(),
    }
    env = environment({k: expressions(str(v), values) for k, v in audit["env"].items()})
    proc = run(audit["run"], tmp_path, env)
    # 1: findings at or above --fail-on (the job fails, the artifact is still kept); 2 would be unusable input.
    assert proc.returncode in (0, 1), proc.stderr
    (keep,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert keep["if"] == "always()"
    for path in keep["with"]["path"].split():
        assert (tmp_path / path).stat().st_size > 0, path
    assert json.loads((tmp_path / "audit.json").read_text())["tenants"]


def test_gitlab_lint_job_writes_junit(tmp_path: Path) -> None:
    work = workspace(tmp_path, broken=True)
    job = block_with("tenantguard-lint")["tenantguard-lint"]
    codes = [run(line, work, environment()).returncode for line in job["script"] if not is_install(line)]
    assert codes == [1]  # the broken ConfigMap fails the job
    junit = ET.parse(work / job["artifacts"]["reports"]["junit"]).getroot()
    failures = [tc for tc in junit.iter("testcase") if tc.find("failure") is not None]
    assert len(failures) == 1 and "TEN004" in (failures[0].get("name") or "") + ET.tostring(failures[0]).decode()
    assert job["artifacts"]["when"] == "always"


def test_pre_commit_hook_runs_as_pre_commit_would(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "tenantguard-lint" and hook["language"] == "python"
    work = workspace(tmp_path, broken=False)
    files = sorted(str(p.relative_to(work)) for p in (work / "deploy").glob("*.yaml"))
    argv = [*hook["entry"].split(), *hook["args"], *files]
    clean = subprocess.run(argv, cwd=work, env=environment(), capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stderr + clean.stdout
    (work / "deploy" / "broken.yaml").write_text(BROKEN)
    broken = subprocess.run(
        [*argv, "deploy/broken.yaml"], cwd=work, env=environment(), capture_output=True, text=True, check=False
    )
    assert broken.returncode == 1 and "TEN004" in broken.stdout
    # The docs' example configuration uses the same hook id.
    (repo,) = block_with("repos")["repos"]
    assert [h["id"] for h in repo["hooks"]] == [hook["id"]]
