variable "a" {
  type = string
}
variable "b" {
  type    = string
  default = "b-default"
}
output "ab" {
  value = "${var.a}/${var.b}"
}
