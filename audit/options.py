"""Command-line options that lint and the audit share, defined once so they read and behave the same."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from tenantguard.policies.model import Severity


def add_tenants(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--tenants", action="append", default=[], metavar="PATH", help=help_text)


def add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="global settings YAML (defaults for every field)")


def add_output(p: argparse.ArgumentParser, formats: Iterable[str], default: str) -> None:
    p.add_argument("--format", choices=sorted(formats), default=default)
    p.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")


def add_fail_on(p: argparse.ArgumentParser, *, default: str | None, what: str) -> None:
    when = f"default: {default}" if default else "default: never"
    p.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=default,
        help=f"exit 1 when {what} of this severity or higher is found ({when})",
    )
