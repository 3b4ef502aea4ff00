resource "terraform_data" "version" {
  input = "1.2.3"
}
resource "terraform_data" "deploy" {
  input            = "deploy ${terraform_data.version.output}"
  triggers_replace = [terraform_data.version.output]
}
output "deploy" { value = terraform_data.deploy.output }
output "triggers" { value = terraform_data.deploy.triggers_replace }
