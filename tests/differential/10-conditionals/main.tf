variable "env" {
  default = "prod"
}
locals {
  size    = var.env == "prod" ? 5 : 1
  label   = var.env == "dev" ? "development" : var.env == "prod" ? "production" : "other"
  maybe   = var.env == "prod" ? null : "x"
  convert = true ? 1 : "one"
}
output "size" { value = local.size }
output "label" { value = local.label }
output "maybe_null" { value = local.maybe == null }
output "convert" { value = local.convert }
output "guarded" { value = local.maybe == null ? "none" : "${local.maybe}!" }
output "guarded_index" { value = length([]) > 0 ? [][0] : "empty" }
