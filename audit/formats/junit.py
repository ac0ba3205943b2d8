"""JUnit XML: one testcase per object and rule, so every broken rule counts as a failure in CI dashboards.

A rule that fires several times on one object (two containers) is one failing testcase listing each path.
Waived findings and objects not judged are skipped testcases with the reason; parse errors are <error>s;
clean objects are summed up in one passing testcase.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from tenantguard.audit.lint import LintReport
from tenantguard.audit.results import Result


def _group(results: list[Result]) -> dict[tuple[str, str, str], list[Result]]:
    by_case: dict[tuple[str, str, str], list[Result]] = {}
    for r in results:
        by_case.setdefault((r.file, r.object, r.rule), []).append(r)
    return by_case


def _case(suite: ET.Element, file: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=file or "cluster", name=name, file=file)


def render(report: LintReport) -> str:
    suites = ET.Element("testsuites", name="tenantguard lint")
    suite = ET.SubElement(suites, "testsuite", name="tenantguard")
    failing = _group(report.results)
    for (file, obj, rule), results in sorted(failing.items()):
        first = results[0]
        more = f" (and {len(results) - 1} more)" if len(results) > 1 else ""
        failure = ET.SubElement(
            _case(suite, file, f"{obj} {rule}"),
            "failure",
            message=f"[{rule}] {first.path}: {first.message}{more}",
            type=first.severity,
        )
        details = [f"{r.file}:{r.line}  {r.path}: {r.message}{r.note}" for r in results]
        failure.text = "\n".join([f"{rule} {first.title}", *details, f"fix: {first.fix}"])
    for (file, obj, rule), results in sorted(_group(report.waived).items()):
        waiver = results[0].waiver
        reason = waiver.describe(rule) if waiver is not None else "waived"
        ET.SubElement(_case(suite, file, f"{obj} {rule}"), "skipped", message=reason)
    for n in report.not_judged:
        ET.SubElement(_case(suite, n.file, n.object), "skipped", message=f"not judged: {n.detail}")
    failing_objects = {(file, obj) for file, obj, _ in failing}
    clean = report.judged - len(failing_objects)
    if clean > 0:
        ET.SubElement(suite, "testcase", classname="tenantguard", name=f"{clean} objects without violations")
    for e in report.errors:
        case = _case(suite, e.file, "parse" if e.file else "input")
        ET.SubElement(case, "error", message=e.render(), type="unusable input").text = e.render()
    counts = {
        "tests": str(len(suite)),
        "failures": str(len(failing)),
        "errors": str(len(report.errors)),
        "skipped": str(len(suite.findall("testcase/skipped"))),
    }
    for element in (suite, suites):
        for key, value in counts.items():
            element.set(key, value)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
