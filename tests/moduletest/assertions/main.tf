variable "word" {
  type    = string
  default = "hello"
}
locals {
  shout = upper(var.word)
}
module "child" {
  source = "./child"
  value  = local.shout
}
resource "terraform_data" "t" {
  input = { word = var.word, size = length(var.word) }
}
output "shout" {
  value = local.shout
}
output "child" {
  value = module.child.doubled
}
output "nothing" {
  value = null
}
