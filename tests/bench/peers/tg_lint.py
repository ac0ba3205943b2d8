"""tenantguard lint as a child process for bench_peers.py: the violating objects as JSON.

    python tests/bench/peers/tg_lint.py [--restricted] CORPUS TENANTS OUT.json

`--restricted` narrows the rule set to the Pod Security rules (PSS001-PSS019, at the tenant's level: acme is
`restricted`), the checks the peers share; mutation (the Pod Security defaults) still runs, as in lint. Without
it, the full rule set, exactly as `tenantguard lint` runs it. Both with the CLI's default `--jobs auto` (the
narrowed rule set is in place before the workers fork).
"""

from __future__ import annotations

import gc
import json
import sys

from tenantguard.audit.lint import lint
from tenantguard.policies import engine
from tenantguard.policies.registry import rules_for
from tenantguard.policies.rule import Rule


def _pod_security_only(kind: str) -> tuple[Rule, ...]:
    return tuple(r for r in rules_for(kind) if r.level is not None)


def main(argv: list[str]) -> int:
    restricted = "--restricted" in argv
    corpus, tenants, out = [a for a in argv if a != "--restricted"]
    if restricted:
        engine._rules = _pod_security_only  # type: ignore[assignment]
        engine._plan.cache_clear()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)  # as `tenantguard lint` runs
    report = lint([corpus], tenant_paths=[tenants], jobs=0)  # worker processes as the CLI's --jobs auto
    violating = sorted({(r.kind, r.namespace, r.name) for r in report.results})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"objects": report.objects, "errors": len(report.errors), "violating": violating}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
