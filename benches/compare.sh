#!/usr/bin/env bash
# Plan and apply N terraform_data resources with dependencies, with meshform and with
# terraform, side by side in one run; prints a Markdown table of wall time and peak memory.
#
#   benches/compare.sh                 # N = 1000 5000 10000
#   SIZES="1000" benches/compare.sh    # other sizes
#   TF_APPLY_MAX=1000                  # largest N at which terraform apply is timed (it is slow)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sizes=${SIZES:-"1000 5000 10000"}
tf_apply_max=${TF_APPLY_MAX:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
meshform="$target_dir/release/meshform"
have_tf=1
command -v terraform >/dev/null || { have_tf=0; echo "terraform not found: only meshform is measured" >&2; }
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

# Resource i depends on resource (i-1)/2: a binary tree, so there is parallel work.
generate() {
  local n=$1 dir=$2
  mkdir -p "$dir"
  python3 - "$n" > "$dir/main.tf" <<'PY'
import sys
n = int(sys.argv[1])
print('resource "terraform_data" "r0" {\n  input = "root"\n}')
for i in range(1, n):
    print(f'resource "terraform_data" "r{i}" {{\n  input = {{ parent = terraform_data.r{(i - 1) // 2}.output, index = {i} }}\n}}')
print(f'output "count" {{\n  value = {n}\n}}')
PY
}

# Runs a command; prints "seconds peak_kib".
measure() {
  if ! /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" >/dev/null 2>"$work/stderr.txt"; then
    echo "failed: $*" >&2
    tail -5 "$work/stderr.txt" >&2
    echo "nan 0"
    return
  fi
  tail -1 "$work/time.txt"
}

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}x' if b>0 and a==a else '-')" "$1" "$2"; }

echo "| N | meshform plan | terraform plan | plan speed-up | meshform apply | terraform apply | apply speed-up | meshform plan peak MiB | terraform plan peak MiB | memory ratio | meshform apply peak MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do
  generate "$n" "$work/mf$n"
  read -r mp_t mp_m < <(cd "$work/mf$n" && measure "$meshform" plan -input=false)
  read -r ma_t ma_m < <(cd "$work/mf$n" && measure "$meshform" apply -auto-approve -input=false)
  tp_t=nan; tp_m=0; ta_t=nan
  if [ $have_tf = 1 ]; then
    generate "$n" "$work/tf$n"
    (cd "$work/tf$n" && terraform init -input=false >/dev/null 2>&1)
    read -r tp_t tp_m < <(cd "$work/tf$n" && measure terraform plan -input=false -lock=false)
    if [ "$n" -le "$tf_apply_max" ]; then
      read -r ta_t _ < <(cd "$work/tf$n" && measure terraform apply -auto-approve -input=false -lock=false)
    fi
  fi
  printf '| %s | %ss | %ss | %s | %ss | %ss | %s | %s | %s | %s | %s |\n' "$n" "$mp_t" "$tp_t" "$(ratio "$tp_t" "$mp_t")" \
    "$ma_t" "$ta_t" "$(ratio "$ta_t" "$ma_t")" "$((mp_m / 1024))" "$((tp_m / 1024))" "$(ratio "$tp_m" "$mp_m")" "$((ma_m / 1024))"
  rm -rf "$work/mf$n" "$work/tf$n"
done
