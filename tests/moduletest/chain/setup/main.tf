variable "seed" {
  type    = string
  default = "s"
}
resource "terraform_data" "seed" {
  input = upper(var.seed)
}
output "prefix" {
  value = terraform_data.seed.output
}
