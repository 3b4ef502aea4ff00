locals {
  prefix = "host"
  hosts  = [for i in range(1, 11) : format("%s%02d", local.prefix, i)]
  groups = { for i, h in local.hosts : (i < 1 ? "master" : "worker") => h... }
  racks  = { for i, h in local.hosts : h => "rack${floor(i / 4)}" }
}
output "hosts" { value = local.hosts }
output "groups" { value = local.groups }
output "racks" { value = local.racks }
output "count_by_rack" { value = { for r in distinct(values(local.racks)) : r => length([for h, rr in local.racks : h if rr == r]) } }
