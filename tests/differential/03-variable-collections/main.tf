variable "l" {
  type    = list(any)
  default = [1, "a", true]
}
variable "m" {
  type    = map(number)
  default = { a = 1, b = "2" }
}
variable "s" {
  type    = set(string)
  default = ["b", "a", "b"]
}
variable "t" {
  type    = tuple([string, number, bool])
  default = ["x", "5", "true"]
}
output "l" { value = var.l }
output "m" { value = var.m }
output "s" { value = var.s }
output "t" { value = var.t }
