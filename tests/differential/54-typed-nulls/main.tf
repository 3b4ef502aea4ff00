# Nulls are typed: a null string inside an object is reported as a string, and so on.
variable "s" {
  type    = string
  default = null
}

variable "o" {
  type = object({
    name = string
    size = number
  })
  default = { name = "x", size = null }
}

locals {
  n = tonumber(null)
}

module "child" {
  source = "./child"
}

output "object_of_nulls" {
  value = { a = tostring(null), b = var.s, c = null, d = local.n }
}

output "tuple_of_nulls" {
  value = [var.s, null, tobool(null)]
}

output "for_object" {
  value = { for k in ["x", "y"] : k => var.s }
}

output "for_tuple" {
  value = [for k in ["x"] : local.n]
}

output "branches" {
  value = { a = true ? null : "text", b = false ? 1 : null }
}

output "attribute" {
  value = { size = var.o.size, name = var.o.name }
}

output "from_module" {
  value = { v = module.child.nothing }
}

output "unequal_tuples_unify" {
  value = [true ? [1] : [2, 3]]
}

output "objects_of_two_shapes_unify" {
  value = false ? { a = 1 } : { b = 2 }
}

variable "l" {
  type    = list(string)
  default = null
}

output "sequence_and_set_unify" {
  value = true ? ["a", "b"] : toset(["c"])
}

output "object_and_map_unify" {
  value = true ? { a = "x" } : tomap({ b = "y" })
}

output "a_null_arm_keeps_its_type" {
  value = var.l == null ? [] : var.l
}

output "empty_list_of_strings" {
  value = false ? ["x"] : compact([""])
}
