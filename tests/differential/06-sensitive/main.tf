variable "password" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
locals {
  conn = "user:${var.password}@db"
}
output "conn" {
  value     = local.conn
  sensitive = true
}
output "length" {
  value = nonsensitive(length(var.password))
}
output "plain" {
  value = nonsensitive(upper(var.password))
}
output "marked" {
  value     = sensitive("visible")
  sensitive = true
}
