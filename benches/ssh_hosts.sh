#!/usr/bin/env bash
# Configure 100 SSH hosts (sshd's on 127.0.1.x; three files and two commands each) with
# meshform and with terraform (file and remote-exec provisioners on terraform_data), side
# by side at the same -parallelism; prints a Markdown table of the applies' wall times.
# meshform is a release build. HOSTS=N changes the number of hosts, PARALLELISM="10 100"
# the levels (default 10).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cache=${MESHFORM_CACHE:-$HOME/.cache/meshform}
if ! command -v terraform >/dev/null; then
  export PATH="$(dirname "$(scripts/install-oracle "$cache")"):$PATH"
fi
export MESHFORM_BENCH_HOSTS=${HOSTS:-100} MESHFORM_BENCH_PARALLELISM=${PARALLELISM:-10}
cargo build --release --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
export MESHFORM_TEST_BIN=$target_dir/release/meshform
cargo test --quiet --test host_ssh -- --ignored --nocapture benchmark_configure_100_hosts 2>&1 | grep '^|'
