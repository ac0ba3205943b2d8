{{- /* Generated from policies/settings.py by `make docs` (tenantguard docs chart); do not edit. */}}
{{- define "tenantguard.settingsDefaults" -}}
{"exemptNamespaces": ["kube-node-lease", "kube-public", "kube-system", "tenantguard-system"], "platformUsers": ["system:kube-controller-manager"], "tenantLabel": "tenantguard.io/tenant"}
{{- end }}
