variable "region" {
  default = "none"
}
variable "size" {
  type    = number
  default = 1
}
variable "labels" {
  type    = map(string)
  default = {}
}
output "region" { value = var.region }
output "size" { value = var.size }
output "labels" { value = var.labels }
