resource "terraform_data" "h" {
  for_each = toset(["host02", "host01", "host03"])
  input    = upper(each.value)
}
output "values" { value = [for k in sort(keys(terraform_data.h)) : terraform_data.h[k].output] }
output "each_key_eq_value" { value = alltrue([for k, v in terraform_data.h : v.input == upper(k)]) }
