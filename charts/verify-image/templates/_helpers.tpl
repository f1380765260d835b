{{- define "verify-image.name" -}}verify-image{{- end -}}
{{- define "verify-image.fullname" -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}-verify-image{{- end -}}
{{- define "verify-image.labels" -}}
app.kubernetes.io/name: verify-image
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: verify-image-{{ .Chart.Version }}
{{- end -}}
{{- define "verify-image.selector" -}}
app.kubernetes.io/name: verify-image
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "verify-image.image" -}}
{{- if not (hasPrefix "sha256:" .Values.image.digest) -}}{{- fail "image.digest must be the sha256 digest of the verify-image image: the gate runs pinned like everything it admits" -}}{{- end -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- end -}}
{{/* Namespaces never gated: the server's own (it must be able to start) and the listed ones. */}}
{{- define "verify-image.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: [{{ .Release.Namespace | quote }}{{ range .Values.webhook.excludedNamespaces }}, {{ . | quote }}{{ end }}]
    - key: {{ .Values.webhook.excludeLabel }}
      operator: DoesNotExist
{{- end -}}
{{/* The workload kinds the webhooks admit (the server refuses others with unsupported_kind). */}}
{{- define "verify-image.rules" -}}
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"]
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["deployments", "statefulsets", "daemonsets", "replicasets"]
  - apiGroups: ["batch"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["jobs", "cronjobs"]
  - apiGroups: ["argoproj.io"]
    apiVersions: ["v1alpha1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["rollouts"]
{{- end -}}
