# Descriptions may be any template without interpolation, heredocs included, as in the
# label module's context.tf; the *.tftest.hcl file beside this one belongs to the test
# command and is not configuration.
variable "context" {
  type = any
  default = {
    enabled   = true
    namespace = null
  }
  description = <<-EOT
    Single object for setting entire context at once.
    See description of individual variables for details.
    EOT
}

variable "label_order" {
  type        = list(string)
  default     = ["namespace", "name"]
  description = "The order in which the labels appear (quoted template, no interpolation)"
}

output "context" {
  value       = var.context
  description = <<EOT
The merged context.
EOT
}

output "order" {
  value       = var.label_order
  description = ("parenthesised")
}
