#!/usr/bin/env bash
# Runs every native Go fuzz target of the module one after another (go test -fuzz takes one target per run), each
# for FUZZTIME with FUZZ_PARALLEL workers. FUZZ_TARGETS ("pkg:FuzzName ...") picks some; a crasher is written to
# the package's testdata/fuzz/<FuzzName>/ by go test and fails the run.
set -euo pipefail

FUZZTIME=${FUZZTIME:-10m}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-1}
targets=${FUZZ_TARGETS:-}
if [[ -z "$targets" ]]; then
	# Found in the sources: listing them with go test -list would build every test package first.
	for file in $(grep -rl --include='*_test.go' --exclude-dir=.cache '^func Fuzz' . | sort); do
		for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
			targets+=" $(dirname "$file"):$name"
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
