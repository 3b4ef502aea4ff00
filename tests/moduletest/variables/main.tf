variable "a" {
  type = string
}
variable "b" {
  type    = string
  default = "b-default"
}
variable "n" {
  type    = number
  default = 1
}
resource "terraform_data" "v" {
  input = "${var.a}/${var.b}"
}
output "joined" {
  value = terraform_data.v.output
}
output "n" {
  value = var.n * 2
}
