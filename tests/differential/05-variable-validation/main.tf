variable "port" {
  type    = number
  default = 8080
  validation {
    condition     = var.port > 1024 && var.port < 65536
    error_message = "The port must be unprivileged."
  }
}
variable "mode" {
  default = "standalone"
  validation {
    condition     = contains(["standalone", "yarn"], var.mode)
    error_message = "Unknown mode."
  }
}
output "port" { value = var.port }
output "mode" { value = var.mode }
