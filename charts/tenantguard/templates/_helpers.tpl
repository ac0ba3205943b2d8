{{- define "tenantguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tenantguard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tenantguard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tenantguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: (list . "webhook") */}}
{{- define "tenantguard.selectorLabels" -}}
{{- $top := index . 0 -}}
app.kubernetes.io/name: {{ include "tenantguard.name" $top }}
app.kubernetes.io/instance: {{ $top.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "tenantguard.componentLabels" -}}
{{ include "tenantguard.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* One name per component: ServiceAccount, Deployment, ClusterRole… (list . "webhook") */}}
{{- define "tenantguard.componentName" -}}
{{- printf "%s-%s" (include "tenantguard.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tenantguard.webhookService" -}}
{{- include "tenantguard.componentName" (list . "webhook") }}
{{- end }}

{{- define "tenantguard.settingsConfigMap" -}}
{{- include "tenantguard.componentName" (list . "settings") }}
{{- end }}

{{- define "tenantguard.tlsSecret" -}}
{{- include "tenantguard.componentName" (list . "tls") }}
{{- end }}

{{- define "tenantguard.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The names the serving certificate carries: the Service's DNS names. */}}
{{- define "tenantguard.dnsNames" -}}
{{- $svc := include "tenantguard.webhookService" . }}
{{- concat (list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace)) .Values.certificates.extraDNSNames | toJson }}
{{- end }}

{{/*
The webhook certificates, generated once per render: the CA is kept across upgrades (read back from the
Secret with lookup); the serving certificate is issued anew on every install and upgrade. `helm template`
(no cluster) generates a new CA each time.
*/}}
{{- define "tenantguard.generatedCerts" -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "tenantguard.tlsSecret" .) }}
{{- $ca := dict }}
{{- if and $secret (index ($secret.data | default dict) "ca.crt") (index ($secret.data | default dict) "ca.key") }}
{{- $ca = buildCustomCert (index $secret.data "ca.crt") (index $secret.data "ca.key") }}
{{- else }}
{{- $ca = genCA "tenantguard-webhook-ca" (int .Values.certificates.caDays) }}
{{- end }}
{{- $cert := genSignedCert (include "tenantguard.webhookService" .) .Values.certificates.ipAddresses (include "tenantguard.dnsNames" . | fromJsonArray) (int .Values.certificates.certDays) $ca }}
{{- dict "ca" $ca.Cert "caKey" $ca.Key "cert" $cert.Cert "key" $cert.Key | toJson }}
{{- end }}

{{/* The caBundle of the webhook configurations: empty with cert-manager (its cainjector fills it in). */}}
{{- define "tenantguard.caBundle" -}}
{{- if not .Values.certificates.certManager.enabled }}
{{- (include "tenantguard.certs" . | fromJson).ca | b64enc }}
{{- end }}
{{- end }}

{{/* Generated once per render and shared by the Secret and the webhook configurations. */}}
{{- define "tenantguard.certs" -}}
{{- if not (hasKey .Values "_certs") }}
{{- $_ := set .Values "_certs" (include "tenantguard.generatedCerts" .) }}
{{- end }}
{{- .Values._certs }}
{{- end }}

{{/* The reconciler's Lease: in the release namespace, named after the release (two releases never share one). */}}
{{- define "tenantguard.leaseName" -}}
{{- include "tenantguard.componentName" (list . "reconciler") }}
{{- end }}

{{- define "tenantguard.leaseArgs" -}}
- --lease-namespace={{ .Release.Namespace }}
- --lease-name={{ include "tenantguard.leaseName" . }}
- --resync={{ .Values.reconciler.resyncSeconds }}
{{- end }}

{{/* The identity that writes managed objects: the reconciler's ServiceAccount, wherever it runs. */}}
{{- define "tenantguard.writerServiceAccount" -}}
{{- $component := eq .Values.reconciler.mode "deployment" | ternary "reconciler" "webhook" }}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "tenantguard.componentName" (list . $component)) }}
{{- end }}
