variable "name" {
  type    = string
  default = "valid"
  validation {
    condition     = length(var.name) > 2
    error_message = "name too short"
  }
}
variable "out_ok" {
  type    = bool
  default = true
}
variable "res_ok" {
  type    = bool
  default = true
}
variable "check_ok" {
  type    = bool
  default = true
}
resource "terraform_data" "r" {
  input = var.name
  lifecycle {
    precondition {
      condition     = var.res_ok
      error_message = "resource precondition"
    }
  }
}
output "out" {
  value = terraform_data.r.output
  precondition {
    condition     = var.out_ok
    error_message = "output precondition"
  }
}
check "chk" {
  assert {
    condition     = var.check_ok
    error_message = "check failed"
  }
}
locals {
  l = "loc"
}
