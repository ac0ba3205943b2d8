"""Generated files are current: docs/rules.md, the chart's Tenant CRD and the Tenant reference in docs/tenants.md
(regenerate with `make docs`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tenantguard.docs_cli import render
from tenantguard.policies.schema import validate
from tenantguard.policies.tenant_docs import rows, splice
from tenantguard.policies.tenant_schema import ABSENT, SPEC_SCHEMA, UNIT, crd

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "charts/tenantguard/crds/tenants.tenantguard.io.yaml"


@pytest.mark.parametrize(("what", "path"), [("rules", ROOT / "docs/rules.md"), ("crd", CRD)])
def test_generated_file_is_current(what: str, path: Path) -> None:
    assert path.read_text() == render(what), f"{path} is stale: run `make docs`"


def test_the_tenant_reference_in_docs_tenants_md_is_current() -> None:
    text = (ROOT / "docs/tenants.md").read_text()
    assert splice(text, render("tenants")) == text, "docs/tenants.md is stale: run `make docs`"


def test_every_tenant_field_is_documented_with_its_unit_and_default() -> None:
    for path, field, required in rows(SPEC_SCHEMA):
        assert field.get("description"), f"{path}: no description"
        assert required or "default" in field or ABSENT in field or path.endswith("].namespace"), (
            f"{path}: say what an absent value means (default, or {ABSENT})"
        )
        if field.get("type") in ("integer", "number"):
            assert UNIT in field, f"{path}: a number needs its unit ({UNIT})"


def test_the_crd_carries_no_documentation_only_keys() -> None:
    assert UNIT not in CRD.read_text() and ABSENT not in CRD.read_text()


def test_example_tenants_match_the_crd_schema() -> None:
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for doc in yaml.safe_load_all((ROOT / "examples/tenants/tenants.yaml").read_text()):
        if doc["kind"] == "Tenant":
            assert validate(doc, schema) == []
