variable "opt" {
  type    = string
  default = null
}
locals {
  value   = var.opt == null ? "default" : var.opt
  list    = [null, "a"]
  obj     = { a = null, b = 1 }
  emptyl  = []
  emptym  = {}
}
output "value" { value = local.value }
output "list" { value = local.list }
output "obj" { value = local.obj }
output "empties" { value = [length(local.emptyl), length(local.emptym)] }
output "null_out" { value = null }
output "compact_nulls" { value = compact(local.list) }
