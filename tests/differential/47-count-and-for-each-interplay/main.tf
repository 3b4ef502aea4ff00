variable "replicas" {
  default = { spark = 2, hdfs = 1 }
}
locals {
  flat = flatten([for svc, n in var.replicas : [for i in range(n) : { key = "${svc}-${i}", svc = svc }]])
}
resource "terraform_data" "r" {
  for_each = { for x in local.flat : x.key => x }
  input    = each.value.svc
}
resource "terraform_data" "c" {
  count = length(local.flat)
  input = local.flat[count.index].key
}
output "keys" { value = sort(keys(terraform_data.r)) }
output "svcs" { value = [for k in sort(keys(terraform_data.r)) : terraform_data.r[k].output] }
output "counted" { value = terraform_data.c[*].output }
