{{/* The audit container for one format: (list . format extension primary) */}}
{{- define "tenantguard.auditContainer" -}}
{{- $ := index . 0 }}
{{- $format := index . 1 }}
{{- $primary := index . 3 }}
image: {{ include "tenantguard.image" $ }}
imagePullPolicy: {{ $.Values.image.pullPolicy }}
args:
- audit
- --config=/etc/tenantguard/config/settings.yaml
- --format={{ $format }}
{{- if eq $.Values.audit.reports.persistence "configMap" }}
- --output-configmap={{ $.Release.Namespace }}/{{ include "tenantguard.componentName" (list $ "reports") }}
{{- else }}
- --output=/reports/audit.{{ index . 2 }}
{{- end }}
- --window={{ $.Values.audit.window }}
{{- with $.Values.audit.prometheusUrl }}
- --prometheus-url={{ . }}
{{- end }}
{{- if $primary }}
{{- if $.Values.audit.policyReports }}
- --write-policy-reports
{{- end }}
{{- with $.Values.audit.failOn }}
- --fail-on={{ . }}
{{- end }}
{{- end }}
resources:
  {{- toYaml $.Values.audit.resources | nindent 2 }}
securityContext:
  {{- include "tenantguard.containerSecurityContext" $ | nindent 2 }}
volumeMounts:
{{- if ne $.Values.audit.reports.persistence "configMap" }}
- name: reports
  mountPath: /reports
{{- end }}
- name: config
  mountPath: /etc/tenantguard/config
  readOnly: true
- {{ include "tenantguard.tokenMount" $ | nindent 2 | trim }}
{{- end }}
