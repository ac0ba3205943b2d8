"""`tenantguard docs [rules|crd]`: generated documentation and the Tenant CRD."""

from __future__ import annotations

import argparse
import sys

import yaml


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", choices=["rules", "crd"], default="rules")


def render(what: str) -> str:
    if what == "crd":
        from tenantguard.policies.tenant_schema import crd

        header = "# Generated from policies/tenant_schema.py by `tenantguard docs crd`; do not edit.\n"
        return header + yaml.safe_dump(crd(), sort_keys=False)
    from tenantguard.policies import docs, isolation, registry

    return docs.render(registry.RULES, isolation.CHECKS)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render(args.what))
    return 0
