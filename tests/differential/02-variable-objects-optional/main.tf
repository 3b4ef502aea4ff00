variable "node" {
  type = object({
    name   = string
    cores  = optional(number, 2)
    memory = optional(string)
    tags   = optional(map(string), {})
    disks  = optional(list(object({ size = number, kind = optional(string, "ssd") })), [])
  })
  default = {
    name  = "n1"
    disks = [{ size = 10 }, { size = 20, kind = "hdd" }]
  }
}
output "node" { value = var.node }
output "cores" { value = var.node.cores }
output "disk_kinds" { value = [for d in var.node.disks : d.kind] }
