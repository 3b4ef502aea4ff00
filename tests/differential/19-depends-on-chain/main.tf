resource "terraform_data" "first" {
  input = 1
}
resource "terraform_data" "second" {
  input      = 2
  depends_on = [terraform_data.first]
}
resource "terraform_data" "third" {
  input = terraform_data.second.output + terraform_data.first.output
}
output "third" {
  value      = terraform_data.third.output
  depends_on = [terraform_data.second]
}
