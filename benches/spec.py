#!/usr/bin/env python3
"""Writes a benchmark spec of N terraform_data resources into DIR/main.tf.

    benches/spec.py SHAPE N DIR

tree:    resource i depends on resource (i-1)/2, a binary tree.
shared:  the tree, and every resource also refers to local.common_tags.
modules: N/100 instances (for_each) of a module of 100 resources, each module a shared
         tree with its own local, and every instance given a variable from the root.
"""
import os
import sys


def tree(n, shared, out):
    out.append('resource "terraform_data" "r0" {\n  input = "root"\n}')
    tags = ", tags = local.common_tags" if shared else ""
    for i in range(1, n):
        out.append(
            f'resource "terraform_data" "r{i}" {{\n'
            f'  input = {{ parent = terraform_data.r{(i - 1) // 2}.id, index = {i}{tags} }}\n}}'
        )


def main():
    shape, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(d, exist_ok=True)
    out = []
    if shape in ("tree", "shared"):
        if shape == "shared":
            out.append('locals {\n  common_tags = { team = "data", env = "bench" }\n}')
        tree(n, shape == "shared", out)
        out.append(f'output "count" {{\n  value = {n}\n}}')
    elif shape == "modules":
        per = 100
        instances = max(1, n // per)
        inner = ['variable "owner" {\n  type = string\n}',
                 'locals {\n  common_tags = { team = "data", owner = var.owner }\n}']
        tree(per, True, inner)
        inner.append('output "root" {\n  value = terraform_data.r0.output\n}')
        os.makedirs(os.path.join(d, "part"), exist_ok=True)
        with open(os.path.join(d, "part", "main.tf"), "w") as f:
            f.write("\n".join(inner) + "\n")
        keys = ", ".join(f'"p{i}"' for i in range(instances))
        out.append('variable "owner" {\n  type    = string\n  default = "bench"\n}')
        out.append(
            f'module "part" {{\n  source   = "./part"\n  for_each = toset([{keys}])\n  owner    = var.owner\n}}'
        )
        out.append(f'output "count" {{\n  value = length(module.part) * {per}\n}}')
    else:
        sys.exit(f"unknown shape {shape!r}: tree, shared or modules")
    with open(os.path.join(d, "main.tf"), "w") as f:
        f.write("\n".join(out) + "\n")


main()
