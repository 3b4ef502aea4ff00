#!/usr/bin/env bash
# Configure 100 SSH hosts (sshd's on 127.0.1.x; three files and two commands each) with
# meshform and with terraform (file and remote-exec provisioners on terraform_data), side
# by side at -parallelism 10 and 100; prints a Markdown table of the applies' wall times.
# HOSTS=N changes the number of hosts.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cache=${MESHFORM_CACHE:-$HOME/.cache/meshform}
if ! command -v terraform >/dev/null; then
  export PATH="$(dirname "$(scripts/install-oracle "$cache")"):$PATH"
fi
export MESHFORM_BENCH_HOSTS=${HOSTS:-100}
cargo test --quiet --test host_ssh -- --ignored --nocapture benchmark_configure_100_hosts 2>&1 | grep '^|'
