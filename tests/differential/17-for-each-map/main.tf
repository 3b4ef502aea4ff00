locals {
  roles = {
    master = { cores = 4 }
    worker = { cores = 8 }
  }
}
resource "terraform_data" "role" {
  for_each = local.roles
  input    = "${each.key}:${each.value.cores}"
}
output "master" { value = terraform_data.role["master"].output }
output "all" { value = { for k, r in terraform_data.role : k => r.output } }
output "keys" { value = keys(terraform_data.role) }
