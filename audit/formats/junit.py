"""JUnit XML: one testcase per object, failing with one <failure> per violation; parse errors as <error>."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from tenantguard.audit.lint import LintReport
from tenantguard.audit.results import Result


def render(report: LintReport) -> str:
    by_object: dict[tuple[str, str], list[Result]] = {}
    for r in report.results:
        by_object.setdefault((r.file, r.object), []).append(r)
    suites = ET.Element("testsuites", name="tenantguard lint")
    suite = ET.SubElement(suites, "testsuite", name="tenantguard")
    for (file, obj), results in sorted(by_object.items()):
        case = ET.SubElement(suite, "testcase", classname=file or "cluster", name=obj, file=file)
        for r in results:
            f = ET.SubElement(case, "failure", message=f"[{r.rule}] {r.path}: {r.message}", type=r.severity)
            f.text = f"{r.file}:{r.line}\n{r.rule} {r.title}\n{r.path}: {r.message}\nfix: {r.fix}"
    clean = report.objects - len(by_object)
    if clean > 0:
        ET.SubElement(suite, "testcase", classname="tenantguard", name=f"{clean} objects without violations")
    for e in report.errors:
        case = ET.SubElement(suite, "testcase", classname=e.file, name="parse", file=e.file)
        ET.SubElement(case, "error", message=e.render(), type="unusable input").text = e.render()
    counts = {"tests": str(len(suite)), "failures": str(len(by_object)), "errors": str(len(report.errors))}
    for element in (suite, suites):
        for key, value in counts.items():
            element.set(key, value)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
