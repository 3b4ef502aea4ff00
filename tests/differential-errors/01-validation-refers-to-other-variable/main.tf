# Since Terraform 1.9 a validation may refer to other variables of its module, and a
# module call that breaks it is refused.
module "range" {
  source = "./m"
  min    = 10
  max    = 3
}

output "range" {
  value = module.range.range
}
