variable "v" {
  type    = string
  default = "one"
}
resource "terraform_data" "a" {
  input = var.v
}
resource "terraform_data" "b" {
  input = "b-${var.v}"
}
output "a" {
  value = terraform_data.a.output
}
output "b_id" {
  value = terraform_data.b.id
}
