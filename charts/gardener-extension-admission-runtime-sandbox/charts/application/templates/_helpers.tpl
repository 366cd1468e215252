{{/*
The name of the component's objects. Gardener's extension library addresses the webhook service as
gardener-extension-<component name>, so it is fixed.
*/}}
{{- define "name" -}}
gardener-extension-admission-runtime-sandbox
{{- end -}}

{{- define "labels" -}}
app.kubernetes.io/name: {{ include "name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
