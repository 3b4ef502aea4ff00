#!/usr/bin/env bash
# Plans a spec for review in CI: checks formatting and validity, saves the plan, writes its
# Markdown summary (for a pull-request comment) and its JSON (for policy checks).
#
#   examples/ci/gate.sh [SPEC_DIR] [OUT_DIR]
#
# Exit codes: 0 no changes, 2 changes planned (plan saved), 1 error.
# MESHFORM names the binary (default: meshform on PATH).
set -uo pipefail
spec=${1:-.}
out=$(mkdir -p "${2:-.}" && cd "${2:-.}" && pwd)
meshform=${MESHFORM:-meshform}

if ! "$meshform" -chdir="$spec" fmt -check -recursive >&2; then
  echo "gate: files are not formatted; run: meshform fmt -recursive" >&2
  exit 1
fi
"$meshform" -chdir="$spec" validate >&2 || exit 1
"$meshform" -chdir="$spec" plan -input=false -lock-timeout=5m -detailed-exitcode -out="$out/plan.bin" > "$out/plan.txt"
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 2 ]; then
  cat "$out/plan.txt" >&2
  exit 1
fi
"$meshform" -chdir="$spec" show -markdown "$out/plan.bin" > "$out/plan.md" || exit 1
"$meshform" -chdir="$spec" show -json "$out/plan.bin" > "$out/plan.json" || exit 1
exit "$rc"
