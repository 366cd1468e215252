{{/*
The name of the component's objects. Gardener's extension library addresses the webhook service as
gardener-extension-<component name>, so it is fixed.
*/}}
{{- define "name" -}}
gardener-extension-admission-runtime-sandbox
{{- end -}}

{{/* The leader election lease, as the binary names it (--leader-election-id default). */}}
{{- define "leaderElectionID" -}}
admission-runtime-sandbox-leader-election
{{- end -}}

{{- define "labels" -}}
app.kubernetes.io/name: {{ include "name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Values.version | default "latest" }}
{{- end -}}

{{/* Where the garden kubeconfig is mounted. */}}
{{- define "gardenKubeconfigDir" -}}
/etc/gardener-extension-admission-runtime-sandbox/garden
{{- end -}}
