variable "n" {
  default = 3
}
resource "terraform_data" "node" {
  count = var.n
  input = "node-${count.index}"
}
resource "terraform_data" "none" {
  count = 0
  input = "never"
}
output "outputs" { value = terraform_data.node[*].output }
output "second" { value = terraform_data.node[1].output }
output "none" { value = length(terraform_data.none) }
