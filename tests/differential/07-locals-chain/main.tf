locals {
  base    = 10
  doubled = local.base * 2
  names   = ["a", "b", "c"]
  indexed = { for i, n in local.names : n => i + local.doubled }
  nested  = { inner = { deep = local.indexed["c"] } }
}
output "doubled" { value = local.doubled }
output "indexed" { value = local.indexed }
output "deep" { value = local.nested.inner.deep }
