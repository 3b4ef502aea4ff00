variable "name" {
  type    = string
  default = "cluster"
}
variable "workers" {
  type    = number
  default = 3
}
variable "enabled" {
  type    = bool
  default = true
}
variable "untyped" {
  default = "x"
}
variable "nullable_default" {
  type    = string
  default = null
}
output "name" { value = var.name }
output "workers" { value = var.workers }
output "enabled" { value = var.enabled }
output "untyped" { value = var.untyped }
output "is_null" { value = var.nullable_default == null }
