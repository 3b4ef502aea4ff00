variable "sv" {
  default   = { user = "u", pass = "p" }
  sensitive = true
}
resource "terraform_data" "base" {
  input = { names = ["a", "b", "c"], size = 2 }
}
resource "terraform_data" "fe" {
  for_each = toset(terraform_data.base.input.names)
  input    = "${each.key}-${terraform_data.base.input.size}"
}
resource "terraform_data" "cnt" {
  count = terraform_data.base.input.size
  input = terraform_data.fe[terraform_data.base.input.names[count.index]].output
}
module "m" {
  source = "./mod"
  count  = 2
  idx    = count.index
  names  = [for r in terraform_data.cnt : r.output]
}
output "fe" { value = { for k, v in terraform_data.fe : k => v.output } }
output "cnt" { value = terraform_data.cnt[*].output }
output "mods" { value = module.m[*].out }
output "mod0" { value = module.m[0] }
output "secret_user" {
  value     = var.sv.user
  sensitive = true
}
output "nonsens" { value = nonsensitive(var.sv.pass) }
output "cond_types" { value = true ? { a = 1 } : { a = 2 } }
output "index_by_expr" { value = terraform_data.base.output.names[terraform_data.base.output.size - 1] }
output "splat_map" { value = values(terraform_data.fe)[*].output }
output "depth" { value = module.m[1].nested.inner }
