"""Renderers for lint results: text, json, sarif, junit, github."""

from __future__ import annotations

from collections.abc import Callable

from tenantguard.audit.formats import github, junit, sarif, structured, text
from tenantguard.audit.lint import LintReport

Renderer = Callable[[LintReport], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": structured.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
}
