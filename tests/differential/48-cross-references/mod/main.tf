variable "idx" { type = number }
variable "names" { type = list(string) }
locals {
  doubled = [for n in var.names : "${n}${n}"]
}
output "out" { value = "${var.idx}:${join(",", local.doubled)}" }
output "nested" { value = { inner = { idx = var.idx, n = length(var.names) } } }
