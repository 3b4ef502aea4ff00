#!/usr/bin/env bash
# Plan 500 EC2 instances against moto behind a proxy that adds 200 ms to every call; prints
# a Markdown table of the plan's wall time and its DescribeInstances calls. meshform is a
# release build; uses the moto scripts/test installs (or MESHFORM_MOTO_SERVER).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export MESHFORM_MOTO_SERVER=${MESHFORM_MOTO_SERVER:-${MESHFORM_CACHE:-$HOME/.cache/meshform}/moto-5.2.5/bin/moto_server}
cargo build --release --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
export MESHFORM_TEST_BIN=$target_dir/release/meshform
cargo test --quiet --test aws -- --ignored --nocapture benchmark_refresh_of_500_instances 2>&1 | grep '^|'
