module "etl" {
  source   = "./mod/outer"
  for_each = { a = 1, b = 2 }
  prefix   = each.key
  size     = each.value
}
module "counted" {
  source = "./mod/outer"
  count  = 2
  prefix = "c${count.index}"
  size   = 1
}
output "etl" { value = { for k, m in module.etl : k => m.names } }
output "counted" { value = module.counted[*].names }
