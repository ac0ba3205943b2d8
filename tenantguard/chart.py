"""The Helm chart's generated files: one source for what the chart and the Python code both state.

- `templates/webhook-configurations.yaml`: the Mutating/ValidatingWebhookConfigurations, built by
  `webhook.configuration.configurations` (the code behind `tenantguard certs webhook-config`) with placeholders,
  then written as a Helm template whose placeholders read the chart's values (exempt namespaces, tenant label,
  failure policy, timeout, extra matchConditions, the Service or a URL, the CA bundle).
- `templates/_settings-defaults.tpl`: the settings defaults the chart itself needs (exempt namespaces, tenant label,
  platform users other than the reconciler), from `policies.settings.Settings`.
- `templates/_rbac-rules.tpl`: the RBAC rules of each component, from what the code reads: the webhook's watches
  (`webhook.cache`), the workloads a scale request or an autoscaler refers to (`policies.scaling`), the owners
  and Events of denied controller writes (`webhook.denial_events`); the resources
  the audit lists (`audit.cluster`) and the PolicyReports it writes (`audit.policyreport`).
- `values.schema.json`: its `settings` part is `policies.settings.SETTINGS_SCHEMA` (the chart sets
  `webhookNamespace` to the release namespace); the rest of the file is written by hand.

`tenantguard docs chart --into charts/tenantguard` (`make docs`) writes them; a unit test fails when they are stale.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from kubernetes.client import ApiClient

from tenantguard.audit import cluster as audit_cluster
from tenantguard.audit import policyreport
from tenantguard.policies.scaling import SCALE_KINDS
from tenantguard.policies.settings import DEFAULT_SETTINGS, SETTINGS_SCHEMA, MtlsSidecar, Settings
from tenantguard.webhook import denial_events
from tenantguard.webhook.cache import ClusterCache
from tenantguard.webhook.configuration import configurations

WEBHOOKS_TEMPLATE = "templates/webhook-configurations.yaml"
DEFAULTS_TEMPLATE = "templates/_settings-defaults.tpl"
RBAC_TEMPLATE = "templates/_rbac-rules.tpl"
VALUES_SCHEMA = "values.schema.json"
# The chart's settings value leaves out what the chart decides itself.
CHART_DECIDES = ("webhookNamespace",)
_OWN_SERVICE_ACCOUNT = "system:serviceaccount:tenantguard-system:tenantguard"

_EXEMPT = "@@exempt@@"
_LABEL = "@@tenant-label@@"
_SIDECAR = "@@mtls-container@@"
_URL = "@@url@@"
_CA = b"@@ca-bundle@@"
_TIMEOUT = 987654
_EXTRA = {"name": "@@extra@@", "expression": "@@extra@@"}


@dataclass(frozen=True, slots=True)
class Raw:
    """Template text written as is: a scalar after `key: `, or (splice) lines replacing a list item."""

    text: str
    splice: bool = False


_BARE = "@@bare@@"  # a dict entry that is template lines only (no key of its own)
# cert-manager's cainjector fills in the caBundle of configurations that name its Certificate.
_INJECT_CA = Raw(
    "\n".join(
        [
            "{{- if .Values.certificates.certManager.enabled }}",
            "annotations:",
            "  cert-manager.io/inject-ca-from: "
            '{{ printf "%s/%s" .Release.Namespace (include "tenantguard.tlsSecret" .) }}',
            "{{- end }}",
        ]
    ),
    splice=True,
)


def _header(source: str) -> str:
    return f"{{{{- /* Generated from {source} by `make docs` (tenantguard docs chart); do not edit. */}}}}\n"


def defaults_template(settings: Settings = DEFAULT_SETTINGS) -> str:
    from tenantguard.policies.registry import BY_ID

    prefixes = list(dict.fromkeys(re.sub(r"\d+$", "", rule) for rule in BY_ID))
    defaults = {
        "exemptNamespaces": sorted(settings.exempt_namespaces),
        "tenantLabel": settings.tenant_label,
        "mtlsContainerName": settings.mtls.container_name,
        # The reconciler's identity is the chart's ServiceAccount, added by the chart (templates/settings.yaml).
        "platformUsers": sorted(settings.platform_users - {_OWN_SERVICE_ACCOUNT}),
        # What `tenantguard serve --config` refuses (policies.registry.unknown_rule_ids), refused at install.
        "ruleIds": sorted(BY_ID),
        "ruleIdHint": f"rule IDs are {', '.join(prefixes)} and three digits (see docs/rules.md)",
    }
    return (
        _header("policies/settings.py")
        + '{{- define "tenantguard.settingsDefaults" -}}\n'
        + json.dumps(defaults, sort_keys=True)
        + "\n{{- end }}\n"
    )


def _client_config(path: str) -> Raw:
    return Raw(
        "\n".join(
            [
                "{{- if $url }}",
                f'url: {{{{ printf "%s{path}" (trimSuffix "/" $url) | quote }}}}',
                "{{- else }}",
                "service:",
                "  namespace: {{ .Release.Namespace | quote }}",
                '  name: {{ include "tenantguard.webhookService" . | quote }}',
                "  port: 443",
                f"  path: {path}",
                "{{- end }}",
                "{{- with $caBundle }}",
                "caBundle: {{ . | quote }}",
                "{{- end }}",
            ]
        ),
        splice=True,
    )


def _placeholders(node: Any) -> Any:
    """The configurations with their placeholders turned into template text."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "clientConfig":
                out[key] = _client_config(value["url"].removeprefix(_URL))
            elif key == "failurePolicy":
                out[key] = Raw("{{ .Values.webhook.failurePolicy }}")
            elif value == _TIMEOUT:
                out[key] = Raw("{{ .Values.webhook.timeoutSeconds }}")
            elif value == _LABEL:
                out[key] = Raw("{{ $tenantLabel | quote }}")
            elif isinstance(value, str) and (_LABEL in value or _SIDECAR in value):
                # A CEL expression naming the tenant label or the sidecar (policies.mutation_cel).
                out[key] = Raw(
                    f"{{{{ {json.dumps(value)} | replace {json.dumps(_LABEL)} $tenantLabel "
                    f"| replace {json.dumps(_SIDECAR)} $sidecar | quote }}}}"
                )
            elif value == [_EXEMPT]:
                out[key] = Raw("{{- toYaml $exempt | nindent @ }}", splice=True)
            elif key == "name" and value == "@@name@@":
                out[key] = Raw('{{ include "tenantguard.fullname" . }}')
            elif key == "labels":
                out[key] = Raw('{{- include "tenantguard.labels" . | nindent @ }}', splice=True)
            else:
                out[key] = _placeholders(value)
        return out
    if isinstance(node, list):
        return [
            Raw("{{- with .Values.webhook.matchConditions }}\n{{- toYaml . | nindent @ }}\n{{- end }}", splice=True)
            if item == _EXTRA
            else _placeholders(item)
            for item in node
        ]
    return node


def _scalar(value: Any) -> str:
    return json.dumps(value)  # JSON scalars (and empty [] and {}) are YAML


def _emit(node: Any, indent: int) -> Iterator[str]:
    pad = " " * indent
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, Raw) and key == _BARE:
                yield from _splice(value, indent)
            elif isinstance(value, Raw) and value.splice:
                yield f"{pad}{key}:"
                yield from _splice(value, indent + 2)
            elif isinstance(value, Raw):
                yield f"{pad}{key}: {value.text}"
            elif isinstance(value, dict | list) and value:
                yield f"{pad}{key}:"
                yield from _emit(value, indent + 2)
            else:
                yield f"{pad}{key}: {_scalar(value)}"
    else:
        for item in node:
            if isinstance(item, Raw):
                yield from _splice(item, indent)
            elif isinstance(item, dict) and item:
                lines = list(_emit(item, indent + 2))
                yield pad + "- " + lines[0][indent + 2 :]
                yield from lines[1:]
            else:
                yield f"{pad}- {_scalar(item)}"


def _splice(raw: Raw, indent: int) -> Iterator[str]:
    for line in raw.text.replace("@", str(indent)).splitlines():
        yield line if line.startswith("{{-") else " " * indent + line


def webhooks_template() -> str:
    settings = Settings(
        exempt_namespaces=frozenset({_EXEMPT}),
        webhook_namespace=_EXEMPT,
        tenant_label=_LABEL,
        mtls=MtlsSidecar(container_name=_SIDECAR),
    )
    docs = configurations(
        settings,
        ca_bundle=_CA,
        url=_URL,
        timeout=_TIMEOUT,
        match_conditions=[_EXTRA],
        name="@@name@@",
        labels={"@@labels@@": ""},
    )
    if base64.b64encode(_CA).decode() not in json.dumps(docs):
        raise RuntimeError("configurations() no longer writes clientConfig.caBundle: update tenantguard/chart.py")
    preamble = [
        _header("webhook/configuration.py").rstrip("\n"),
        "{{- $s := .Values.settings | default dict }}",
        '{{- $d := include "tenantguard.settingsDefaults" . | fromJson }}',
        '{{- $exempt := (hasKey $s "exemptNamespaces") | ternary $s.exemptNamespaces $d.exemptNamespaces }}',
        "{{- $exempt = append $exempt .Release.Namespace | uniq | sortAlpha }}",
        "{{- $tenantLabel := $s.tenantLabel | default $d.tenantLabel }}",
        "{{- $sidecar := (($s.mtls | default dict).containerName) | default $d.mtlsContainerName }}",
        "{{- $url := .Values.webhook.url }}",
        '{{- $caBundle := include "tenantguard.caBundle" . }}',
    ]
    for doc in docs:
        doc["metadata"][_BARE] = _INJECT_CA
    body = "\n---\n".join("\n".join(_emit(_placeholders(doc), 0)) for doc in docs)
    return "\n".join(preamble) + "\n" + body + "\n"


Rule = tuple[str, str, tuple[str, ...]]  # (apiGroup, resource, verbs)


def _api_resource(path: str) -> tuple[str, str]:
    """`/api/v1/pods` -> ("", "pods"); `/apis/tenantguard.io/v1alpha1/tenants` -> ("tenantguard.io", "tenants")."""
    parts = path.strip("/").split("/")
    return ("", parts[2]) if parts[0] == "api" else (parts[1], parts[3])


def webhook_rules() -> list[Rule]:
    watched = [_api_resource(r.path) for r in ClusterCache(cast("ApiClient", None), DEFAULT_SETTINGS).reflectors]
    # Reads while judging: a scale request's or an autoscaler's workload (webhook.related); the owners a denied
    # controller write's Event walks up to (webhook.denial_events), by kind, with the groups the audit knows them by.
    groups = {r.kind: r.group for r in (*audit_cluster.CONTEXT, *audit_cluster.COVERED)}
    reads = [(k.group, k.plural) for k in SCALE_KINDS]
    reads += [(groups[kind], plural) for kind, plural in denial_events.OWNER_PLURALS.items()]
    return [
        *((group, resource, ("list", "watch")) for group, resource in watched),
        *((group, resource, ("get",)) for group, resource in dict.fromkeys(reads)),
        # webhook.event_sink: POST a new Event, PATCH its count when the denial repeats
        ("", "events", ("create", "patch")),
    ]


def reconciler_rules() -> list[Rule]:
    """The reconciler (webhook/reconciler): the webhook cache's watches (it runs one), the generated kinds it
    watches, applies and prunes, the Namespaces it labels, Tenant status, Events; its Lease is a Role of the
    chart's (templates/reconciler.yaml). The istio CRD it watches by name is `reconcilerCrdRules`."""
    from tenantguard.webhook.reconciler import api as reconciler_api
    from tenantguard.webhook.reconciler import controller, events, view

    watched = [_api_resource(r.path) for r in ClusterCache(cast("ApiClient", None), DEFAULT_SETTINGS).reflectors]
    generated = [(controller._API[kind].rpartition("/")[0], reconciler_api.RESOURCES[kind][0]) for kind in view.KINDS]
    if events.EVENT_NAMESPACE != "default":
        raise RuntimeError("reconciler Events moved out of `default`: update tenantguard/chart.py")
    return [
        *((group, resource, ("list", "watch")) for group, resource in watched),
        # writes.Pass: server-side apply (patch; create when absent) and prune (delete), watched by label
        *((group, resource, ("list", "watch", "create", "patch", "delete")) for group, resource in generated),
        ("", "namespaces", ("patch",)),  # the tenant and Pod Security labels of existing namespaces
        ("tenantguard.io", "tenants/status", ("patch",)),  # reconcile.py: the Tenant's conditions
        ("", "events", ("create",)),  # events.Recorder: about Tenants, in `default` (cluster-scoped objects)
    ]


def audit_rules() -> list[Rule]:
    listed = [
        (r.group, r.plural, ("list",))
        for r in (*audit_cluster.CONTEXT, *audit_cluster.COVERED)
        if (r.group, r.plural) != ("", "secrets")
    ]
    group = policyreport.API_VERSION.split("/")[0]
    return [*listed, *((group, plural, ("create", "patch")) for plural in ("policyreports", "clusterpolicyreports"))]


def _rules_yaml(rules: list[Rule]) -> str:
    """One rule per API group and verbs, resources in the code's order."""
    merged: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for group, resource, verbs in rules:
        merged.setdefault((group, verbs), []).append(resource)
    return "\n".join(
        f"- apiGroups: [{json.dumps(group)}]\n  resources: {json.dumps(resources)}\n  verbs: {json.dumps(list(verbs))}"
        for (group, verbs), resources in merged.items()
    )


def rbac_template() -> str:
    sections: dict[str, list[Rule]] = {
        "tenantguard.webhookRules": webhook_rules(),
        "tenantguard.reconcilerRules": reconciler_rules(),
        "tenantguard.auditRules": audit_rules(),
        "tenantguard.auditSecretRules": [("", "secrets", ("list",))],
    }
    body = "".join(
        f'{{{{- define "{name}" -}}}}\n{_rules_yaml(rules)}\n{{{{- end }}}}\n' for name, rules in sections.items()
    )
    sources = "webhook/cache.py, policies/scaling.py, webhook/denial_events.py, webhook/reconciler/, audit/cluster.py"
    return _header(sources + ", audit/policyreport.py") + body + _crd_rule()


def _crd_rule() -> str:
    """The one CustomResourceDefinition the reconciler watches (istio's PeerAuthentication: is the mesh there?)."""
    from tenantguard.webhook.reconciler import controller

    return (
        '{{- define "tenantguard.reconcilerCrdRules" -}}\n'
        '- apiGroups: ["apiextensions.k8s.io"]\n'
        '  resources: ["customresourcedefinitions"]\n'
        f"  resourceNames: [{json.dumps(controller.MESH_CRD)}]\n"
        '  verbs: ["get", "list", "watch"]\n'
        "{{- end }}\n"
    )


def settings_values_schema() -> dict[str, Any]:
    schema = copy.deepcopy(SETTINGS_SCHEMA)
    for key in CHART_DECIDES:
        del schema["properties"][key]
    schema["description"] = (
        "Global settings (docs/settings.md), mounted from a ConfigMap; every field has a default. "
        "webhookNamespace is the release namespace."
    )
    return schema


def values_schema(current: str) -> str:
    """The chart's values.schema.json with its `settings` part regenerated."""
    doc = json.loads(current)
    doc["properties"]["settings"] = settings_values_schema()
    return json.dumps(doc, indent=2) + "\n"


def generated(chart: Path) -> dict[Path, str]:
    """Each generated file of the chart and its current contents."""
    return {
        chart / WEBHOOKS_TEMPLATE: webhooks_template(),
        chart / DEFAULTS_TEMPLATE: defaults_template(),
        chart / RBAC_TEMPLATE: rbac_template(),
        chart / VALUES_SCHEMA: values_schema((chart / VALUES_SCHEMA).read_text(encoding="utf-8")),
    }
