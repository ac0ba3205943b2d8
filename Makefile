# The README's two commands are `make demo` and `make test`; everything else is a step they use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test unit e2e check bench bench-peers control-plane helm system-packages ghostunnel docs clean bytecode

# The official SARIF 2.1.0 JSON schema, for validating `lint --format sarif` in the tests.
SARIF_SCHEMA := tests/.tools/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Bytecode for the package, written ahead: where PYTHONDONTWRITEBYTECODE is set (this CI machine, most Python
## container images) nothing else writes it for an editable install, and every `tenantguard` run would compile
## every module again (~0.1 s of each start). Cheap when nothing changed: only stale files are compiled.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 policies audit webhook tenantguard

$(SARIF_SCHEMA):
	npm install --silent --no-audit --no-fund --prefix tests/.tools @microsoft/jest-sarif@1.0.0-beta.0

control-plane:
	@scripts/build-control-plane.sh >/dev/null

## helm 4 and helm 3, built from their Go modules into the same cache (the chart tests run both).
helm:
	@scripts/build-helm.sh 4 >/dev/null
	@scripts/build-helm.sh 3 >/dev/null

## Debian packages the suite and the demo use (chromium, prometheus, util-linux), installed when missing.
system-packages:
	@scripts/install-system-packages.sh

## The native mTLS sidecar (ghostunnel), which the end-to-end tests run with the args the webhook injects.
ghostunnel:
	@scripts/build-ghostunnel.sh >/dev/null

## The whole suite: static checks, unit tests and end-to-end tests against the dev cluster.
test: system-packages $(STAMP) bytecode $(SARIF_SCHEMA) control-plane ghostunnel helm check
	$(BIN)/pytest tests/unit tests/e2e

unit: $(STAMP) bytecode $(SARIF_SCHEMA) helm
	$(BIN)/pytest tests/unit

e2e: system-packages $(STAMP) bytecode control-plane ghostunnel helm
	$(BIN)/pytest tests/e2e

check: $(STAMP)
	$(BIN)/ruff check policies webhook audit tenantguard tests scripts
	$(BIN)/ruff format --check policies webhook audit tenantguard tests scripts
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/mypy --explicit-package-bases tests

## The demo: dev cluster up, tenants and policies applied, good and bad manifests at `kubectl apply` time.
demo: system-packages $(STAMP) bytecode control-plane
	$(BIN)/python scripts/demo.py

## Benchmarks print figures (medians, same-run baselines); they never assert timings. Several take minutes.
bench: $(STAMP) bytecode control-plane
	$(BIN)/python tests/bench/bench_lint.py
	$(BIN)/python tests/bench/bench_webhook.py
	$(BIN)/python tests/bench/bench_admission_latency.py
	$(BIN)/python tests/bench/bench_cache_rss.py
	$(BIN)/python tests/bench/bench_netpol.py
	$(BIN)/python tests/bench/bench_reconciler.py
	$(BIN)/python tests/bench/bench_audit.py
	$(BIN)/python tests/bench/bench_audit_live.py
	$(BIN)/python tests/bench/bench_usage_history.py
	$(BIN)/python tests/bench/bench_devcluster.py --runs 5

## tenantguard next to Kyverno, Gatekeeper's gator, Pod Security Admission and a ValidatingAdmissionPolicy, in one
## run: writes docs/performance.md and docs/performance.json. Builds the peers first (scripts/build-peers.sh;
## the first Kyverno build takes ~15 min on 2 cores). BENCH_PEERS_ARGS for e.g. `--objects 10000 50000`.
bench-peers: system-packages $(STAMP) bytecode control-plane
	$(BIN)/python tests/bench/bench_peers.py $(BENCH_PEERS_ARGS)

docs: $(STAMP)
	$(BIN)/tenantguard docs rules > docs/rules.md
	$(BIN)/tenantguard docs crd > charts/tenantguard/crds/tenants.tenantguard.io.yaml
	$(BIN)/tenantguard docs tenants --into docs/tenants.md
	$(BIN)/tenantguard docs chart --into charts/tenantguard

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
