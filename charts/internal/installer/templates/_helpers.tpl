{{- define "installer.labels" -}}
app.kubernetes.io/name: runtime-sandbox-installer
runtime.gardener.cloud/type: {{ .Values.runtimeType | quote }}
worker.gardener.cloud/pool: {{ .Values.pool | quote }}
{{- end -}}
