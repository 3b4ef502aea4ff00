variable "prefix" {
  type = string
}
variable "items" {
  type    = list(string)
  default = []
}
resource "terraform_data" "item" {
  for_each = toset(var.items)
  input    = "${var.prefix}-${each.key}"
}
output "names" {
  value = sort([for k, v in terraform_data.item : v.output])
}
output "count" {
  value = length(var.items)
}
