locals {
  nodes = [{ name = "a", ip = "10.0.0.1" }, { name = "b", ip = "10.0.0.2" }]
  none  = null
}
resource "terraform_data" "n" {
  count = 3
  input = { name = "node${count.index}", idx = count.index }
}
output "names" { value = local.nodes[*].name }
output "legacy" { value = local.nodes.*.ip }
output "null_splat" { value = length(local.none[*]) }
output "resource_splat" { value = terraform_data.n[*].output.name }
output "single_splat" { value = { a = 1 }[*] }
