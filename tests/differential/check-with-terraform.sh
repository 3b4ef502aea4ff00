#!/usr/bin/env bash
# Applies every differential spec with terraform alone, to check that the corpus itself is
# valid Terraform. Prints the specs terraform rejects.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
failed=0
for spec in "$here"/*/; do
  name=$(basename "$spec")
  tmp=$(mktemp -d)
  cp -r "$spec". "$tmp"
  if ! (cd "$tmp" && terraform init -input=false >/dev/null 2>&1 && terraform apply -auto-approve -input=false -no-color >"$tmp/.log" 2>&1); then
    echo "== $name"; grep -A6 Error "$tmp/.log" | head -20
    failed=$((failed + 1))
  fi
  rm -rf "$tmp"
done
echo "$failed spec(s) rejected by terraform"
[ "$failed" = 0 ]
