variable "value" {
  type = string
}
output "doubled" {
  value = "${var.value}${var.value}"
}
