variable "label" {}
variable "n" {}
resource "terraform_data" "x" {
  count = var.n
  input = "${var.label}-${count.index}"
}
output "names" { value = terraform_data.x[*].output }
