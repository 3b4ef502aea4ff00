# A for expression in braces whose value goes on over several lines after `?` and `:`,
# as in the label module's main.tf.
variable "case" {
  default = "title"
}

locals {
  names = ["namespace", "stage", "name"]
  input = { namespace = "eg", stage = "PROD", name = "app" }

  formatted = { for k in local.names : k => var.case == "none" ? local.input[k] :
    var.case == "title" ? title(lower(local.input[k])) :
    var.case == "upper" ? upper(local.input[k]) : lower(local.input[k])
  }

  total = { for k, v in local.input : k => length(v) +
    1
  }
}

output "formatted" { value = local.formatted }
output "total" { value = local.total }
