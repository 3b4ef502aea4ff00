locals {
  name = "spark"
}
output "plain" {
  value = <<EOT
line one
  indented ${local.name}
EOT
}
output "indented" {
  value = <<-EOT
      first
        second
      third
    EOT
}
output "with_directive" {
  value = <<-EOT
    %{if local.name == "spark"}is spark%{endif}
  EOT
}
