"""Generated files are current: docs/rules.md and the chart's Tenant CRD (regenerate with `make docs`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tenantguard.docs_cli import render
from tenantguard.policies.schema import validate
from tenantguard.policies.tenant_schema import crd

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "charts/tenantguard/crds/tenants.tenantguard.io.yaml"


@pytest.mark.parametrize(("what", "path"), [("rules", ROOT / "docs/rules.md"), ("crd", CRD)])
def test_generated_file_is_current(what: str, path: Path) -> None:
    assert path.read_text() == render(what), f"{path} is stale: run `make docs`"


def test_example_tenants_match_the_crd_schema() -> None:
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for doc in yaml.safe_load_all((ROOT / "examples/tenants/tenants.yaml").read_text()):
        if doc["kind"] == "Tenant":
            assert validate(doc, schema) == []
