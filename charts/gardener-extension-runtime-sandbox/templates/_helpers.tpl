{{/*
The name of the component's objects. Gardener's extension library addresses the webhook service as
gardener-extension-<extension name>, so it is fixed.
*/}}
{{- define "name" -}}
gardener-extension-runtime-sandbox
{{- end -}}

{{/* The leader election lease, as the binary names it (--leader-election-id default). */}}
{{- define "leaderElectionID" -}}
runtime-sandbox-leader-election
{{- end -}}

{{- define "labels" -}}
app.kubernetes.io/name: {{ include "name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* An image reference from an image value with repository and tag; the tag defaults to .Values.version, and that
to the chart's appVersion, the extension's version. */}}
{{- define "imageRef" -}}
{{ .image.repository }}:{{ .image.tag | default .version }}
{{- end -}}
