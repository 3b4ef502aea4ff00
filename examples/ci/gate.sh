#!/usr/bin/env bash
# Plans a spec for review in CI: checks formatting and validity, saves the plan, writes its
# Markdown summary (for a pull-request comment) and its JSON (for policy checks).
#
#   examples/ci/gate.sh [SPEC_DIR] [OUT_DIR]
#
# Writes OUT_DIR/plan.bin (the saved plan), plan.txt (as `plan` printed it), plan.md
# (`show -markdown`) and plan.json (`show -json`, Terraform's plan JSON shape).
# Exit codes: 0 no changes, 2 changes planned, 1 error (nothing is left in OUT_DIR then).
# MESHFORM names the binary (default: meshform on PATH).
set -uo pipefail
spec=${1:-.}
out=$(mkdir -p "${2:-.}" && cd "${2:-.}" && pwd) || exit 1
meshform=${MESHFORM:-meshform}
# What an earlier run left must not pass for this run's result.
rm -f "$out/plan.bin" "$out/plan.txt" "$out/plan.md" "$out/plan.json"

if ! "$meshform" -chdir="$spec" fmt -check -recursive >&2; then
  echo "gate: files are not formatted; run: meshform fmt -recursive" >&2
  exit 1
fi
"$meshform" -chdir="$spec" validate >&2 || exit 1

# -detailed-exitcode: 0 no changes, 2 changes, anything else an error.
"$meshform" -chdir="$spec" plan -input=false -lock-timeout=5m -detailed-exitcode \
  -out="$out/plan.bin" > "$out/plan.txt"
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 2 ]; then
  cat "$out/plan.txt" >&2
  rm -f "$out/plan.bin" "$out/plan.txt"
  exit 1
fi
"$meshform" -chdir="$spec" show -markdown "$out/plan.bin" > "$out/plan.md" || exit 1
"$meshform" -chdir="$spec" show -json "$out/plan.bin" > "$out/plan.json" || exit 1
exit "$rc"
