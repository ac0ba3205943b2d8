"""`tenantguard docs [rules|crd|tenants|chart]`: generated documentation, the Tenant CRD and the chart's files.

`tenants` is the Tenant reference section of docs/tenants.md; `--into FILE` splices it into that file
between its markers (the rest of the file is written by hand). `chart --into DIR` writes the Helm chart's
generated templates and the settings part of its values.schema.json (`tenantguard/chart.py`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", choices=["rules", "crd", "tenants", "chart"], default="rules")
    p.add_argument(
        "--into",
        metavar="FILE",
        help="tenants: replace the generated section of FILE in place; chart: the chart's folder",
    )


def render(what: str) -> str:
    if what == "crd":
        from tenantguard.policies.tenant_schema import crd

        header = "# Generated from policies/tenant_schema.py by `tenantguard docs crd`; do not edit.\n"
        return header + yaml.safe_dump(crd(), sort_keys=False)
    if what == "tenants":
        from tenantguard.policies.tenant_docs import reference

        return reference()
    from tenantguard.policies import docs, isolation, registry

    return docs.render(registry.RULES, isolation.CHECKS)


def _write_chart(into: str | None) -> int:
    from tenantguard.chart import generated

    if not into:
        print("tenantguard docs chart: --into CHART_DIR is required", file=sys.stderr)
        return 2
    try:
        for path, text in generated(Path(into)).items():
            path.write_text(text, encoding="utf-8")
    except (OSError, ValueError) as err:
        print(f"tenantguard docs chart: {err}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> int:
    if args.what == "chart":
        return _write_chart(args.into)
    text = render(args.what)
    if args.into:
        from tenantguard.policies.tenant_docs import splice

        target = Path(args.into)
        try:
            target.write_text(splice(target.read_text(encoding="utf-8"), text), encoding="utf-8")
        except (OSError, ValueError) as err:
            print(f"tenantguard docs: {target}: {err}", file=sys.stderr)
            return 2
        return 0
    sys.stdout.write(text)
    return 0
