variable "prefix" {}
variable "size" {}
module "inner" {
  source = "../inner"
  label  = "${var.prefix}-inner"
  n      = var.size
}
output "names" { value = module.inner.names }
