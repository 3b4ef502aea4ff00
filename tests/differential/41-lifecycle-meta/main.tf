resource "terraform_data" "a" {
  input = "v1"
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "b" {
  input = "fixed"
  lifecycle {
    ignore_changes = [input]
  }
}
resource "terraform_data" "c" {
  input = terraform_data.a.output
  lifecycle {
    replace_triggered_by = [terraform_data.a]
  }
}
output "c" { value = terraform_data.c.output }
output "b" { value = terraform_data.b.output }
