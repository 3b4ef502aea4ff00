variable "services" {
  default = {
    namenode        = { port = 9870, role = "master" }
    datanode        = { port = 9864, role = "worker" }
    resourcemanager = { port = 8088, role = "master" }
  }
}
locals {
  by_role = { for name, s in var.services : s.role => name... }
  ports   = { for name, s in var.services : name => s.port }
}
resource "terraform_data" "svc" {
  for_each = var.services
  input    = { name = each.key, port = each.value.port, url = "http://localhost:${each.value.port}" }
}
output "by_role" { value = local.by_role }
output "ports" { value = local.ports }
output "urls" { value = [for k in sort(keys(terraform_data.svc)) : terraform_data.svc[k].output.url] }
