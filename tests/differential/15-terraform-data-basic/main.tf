resource "terraform_data" "a" {
  input = "hello"
}
resource "terraform_data" "b" {
  input = {
    from  = terraform_data.a.output
    items = [1, 2, 3]
    nested = { ok = true }
  }
}
output "a" { value = terraform_data.a.output }
output "b" { value = terraform_data.b.output }
output "b_items" { value = terraform_data.b.output.items }
output "id_set" { value = length(terraform_data.a.id) > 0 }
