variable "name" {
  type = string
  validation {
    condition     = length(var.name) > 2
    error_message = "name too short"
  }
}
variable "n" {
  type    = number
  default = 2
}
resource "terraform_data" "x" {
  count = var.n
  input = "${var.name}-${count.index}"
}
locals {
  upper = upper(var.name)
}
output "names" {
  value = terraform_data.x[*].output
}
output "upper" {
  value = local.upper
}
check "c" {
  assert {
    condition     = var.n < 5
    error_message = "n is big"
  }
}
