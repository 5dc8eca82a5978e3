{{- define "janua.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "janua.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "janua.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "janua.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "janua.secretName" -}}
{{- .Values.existingSecret | default (include "janua.fullname" .) -}}
{{- end -}}

{{/* The environment every Janua container gets: the ConfigMap and the Secret. */}}
{{- define "janua.envFrom" -}}
- configMapRef:
    name: {{ include "janua.fullname" . }}
- secretRef:
    name: {{ include "janua.secretName" . }}
{{- end -}}
