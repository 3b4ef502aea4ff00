variable "n" {
  type    = number
  default = 2
}
resource "terraform_data" "m" {
  count = var.n
  input = "in-${count.index}"
}
resource "terraform_data" "other" {
  input = "other"
}
output "ids" {
  value = terraform_data.m[*].id
}
output "other_id" {
  value = terraform_data.other.id
}
output "other_output" {
  value = terraform_data.other.output
}
