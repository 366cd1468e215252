#!/usr/bin/env bash
# Runs every native Go fuzz target of the module one after another (go test -fuzz takes one target per run), each
# for FUZZTIME with FUZZ_PARALLEL workers. FUZZ_TARGETS ("pkg:FuzzName ...") picks some; a crasher is written to
# the package's testdata/fuzz/<FuzzName>/ by go test and fails the run.
set -euo pipefail

FUZZTIME=${FUZZTIME:-10m}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-1}
targets=${FUZZ_TARGETS:-}
if [[ -z "$targets" ]]; then
	for pkg in $(go list ./...); do
		for name in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			targets+=" ./${pkg#github.com/gardener/gardener-extension-runtime-sandbox/}:$name"
		done
	done
fi

failed=()
for target in $targets; do
	pkg=${target%%:*} name=${target##*:}
	echo "=== fuzz $pkg $name for $FUZZTIME ($(date -u +%H:%M:%S))"
	if ! go test -timeout 0 -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZ_PARALLEL" "$pkg"; then
		failed+=("$target")
	fi
done
if ((${#failed[@]} > 0)); then
	echo "fuzz targets that failed: ${failed[*]}" >&2
	exit 1
fi
