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
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Values.version | default .Chart.AppVersion }}
{{- end -}}

{{/* Where the garden kubeconfig is mounted. */}}
{{- define "gardenKubeconfigDir" -}}
/etc/gardener-extension-admission-runtime-sandbox/garden
{{- end -}}

{{/*
"true" when the garden is a virtual garden, whose API server runs in this cluster but is not this cluster's: set up
by gardener-operator (gardener.virtualCluster.enabled) or given by a kubeconfig secret.
*/}}
{{- define "virtualGarden" -}}
{{- if or .Values.gardener.virtualCluster.enabled .Values.garden.kubeconfigSecretName }}true{{ end -}}
{{- end -}}
