{{/* What every tenantguard pod shares: restricted Pod Security, read-only root, the token projected by hand. */}}
{{- define "tenantguard.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "tenantguard.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The ServiceAccount token, CA and namespace where the Kubernetes client looks for them in a pod. */}}
{{- define "tenantguard.tokenVolume" -}}
name: kube-api-access
projected:
  defaultMode: 0444
  sources:
  - serviceAccountToken:
      path: token
      expirationSeconds: 3607
  - configMap:
      name: kube-root-ca.crt
      items:
      - {key: ca.crt, path: ca.crt}
  - downwardAPI:
      items:
      - path: namespace
        fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}
{{- end }}

{{- define "tenantguard.tokenMount" -}}
name: kube-api-access
mountPath: /var/run/secrets/kubernetes.io/serviceaccount
readOnly: true
{{- end }}
