# A small spec that runs on one machine with nothing but meshform: three cluster
# "hosts" named from a pattern, each recorded with its role, and the roster as output.

variable "workers" {
  type        = number
  default     = 2
  description = "How many worker hosts besides the master."
}

locals {
  workers = hostlist(format("worker[01-%02d]", var.workers))
  hosts   = concat(["master"], local.workers)
}

resource "terraform_data" "host" {
  for_each = toset(local.hosts)
  input = {
    name = each.key
    role = each.key == "master" ? "manager" : "worker"
  }
}

resource "terraform_data" "cluster" {
  input = {
    master  = terraform_data.host["master"].output.name
    workers = sort([for h in terraform_data.host : h.output.name if h.output.role == "worker"])
  }
}

output "roster" {
  value = terraform_data.cluster.output
}

output "workers_pattern" {
  value = hostlist_compact(local.workers)
}
