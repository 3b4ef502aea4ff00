#!/usr/bin/env bash
# Apply 20 EC2 instances against moto behind a proxy that adds 200 ms to every call, at
# -parallelism 1 and 10; prints a Markdown table of the sum of the calls' times against
# the apply's wall time. Uses the moto scripts/test installs (or MESHFORM_MOTO_SERVER).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export MESHFORM_MOTO_SERVER=${MESHFORM_MOTO_SERVER:-${MESHFORM_CACHE:-$HOME/.cache/meshform}/moto-5.2.5/bin/moto_server}
cargo test --quiet --test aws -- --ignored --nocapture benchmark_parallel_apply_of_20_instances 2>&1 | grep '^|'
