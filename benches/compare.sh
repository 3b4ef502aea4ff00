#!/usr/bin/env bash
# Plan and apply N terraform_data resources with dependencies, with meshform and with
# terraform, side by side in one run; prints a Markdown table of wall time and peak memory
# per spec shape and size.
#
#   benches/compare.sh                          # every shape, N = 1000 10000
#   SIZES="1000 100000" SHAPES=shared benches/compare.sh
#   TF_APPLY_MAX=1000                           # largest N at which terraform apply is timed (it is slow)
#   TF_MAX=10000                                # largest N at which terraform is run at all
#   MESHFORM_BIN=path/to/meshform               # measure this binary instead of building one
#
# Shapes (benches/spec.py writes them):
#   tree     resource i depends on resource (i-1)/2: a binary tree, so there is parallel work
#   shared   the tree, and every resource also refers to one shared local (as real specs do
#            with local.common_tags), so one node is referenced by all N
#   modules  N/100 instances (for_each) of a module of 100 resources, each a tree with a
#            shared local inside the module and a variable from the root
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sizes=${SIZES:-"1000 10000"}
shapes=${SHAPES:-"tree shared modules"}
tf_apply_max=${TF_APPLY_MAX:-1000}
tf_max=${TF_MAX:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${MESHFORM_BIN:-}" ]; then
  meshform=$MESHFORM_BIN
else
  cargo build --release --quiet --manifest-path "$here/Cargo.toml"
  target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  meshform="$target_dir/release/meshform"
fi
have_tf=1
command -v terraform >/dev/null || { have_tf=0; echo "terraform not found: only meshform is measured" >&2; }
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

generate() { python3 "$here/benches/spec.py" "$1" "$2" "$3"; }

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

echo "| shape | N | meshform plan | terraform plan | plan speed-up | meshform apply | terraform apply | apply speed-up | meshform plan peak MiB | terraform plan peak MiB | memory ratio | meshform apply peak MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for shape in $shapes; do
for n in $sizes; do
  generate "$shape" "$n" "$work/mf$n"
  read -r mp_t mp_m < <(cd "$work/mf$n" && measure "$meshform" plan -input=false)
  read -r ma_t ma_m < <(cd "$work/mf$n" && measure "$meshform" apply -auto-approve -input=false)
  tp_t=nan; tp_m=0; ta_t=nan
  if [ $have_tf = 1 ] && [ "$n" -le "$tf_max" ]; then
    generate "$shape" "$n" "$work/tf$n"
    (cd "$work/tf$n" && terraform init -input=false >/dev/null 2>&1)
    read -r tp_t tp_m < <(cd "$work/tf$n" && measure terraform plan -input=false -lock=false)
    if [ "$n" -le "$tf_apply_max" ]; then
      read -r ta_t _ < <(cd "$work/tf$n" && measure terraform apply -auto-approve -input=false -lock=false)
    fi
  fi
  printf '| %s | %s | %ss | %ss | %s | %ss | %ss | %s | %s | %s | %s | %s |\n' "$shape" "$n" "$mp_t" "$tp_t" "$(ratio "$tp_t" "$mp_t")" \
    "$ma_t" "$ta_t" "$(ratio "$ta_t" "$ma_t")" "$((mp_m / 1024))" "$((tp_m / 1024))" "$(ratio "$tp_m" "$mp_m")" "$((ma_m / 1024))"
  rm -rf "$work/mf$n" "$work/tf$n"
done
done
