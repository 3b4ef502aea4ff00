locals {
  hosts = ["a", "b"]
}
output "no_strip_nested" {
  value = <<-EOT
    start
    %{ for h in local.hosts }
      host ${h}
    %{ endfor }
    end
  EOT
}
output "strip_only_inside" {
  value = <<-EOT
    [
    %{ for h in local.hosts ~}
      "${h}",
    %{ endfor ~}
    ]
  EOT
}
output "if_strip" {
  value = <<-EOT
    a
    %{~ if true ~}
    b
    %{~ endif ~}
    c
  EOT
}
output "plain_heredoc_strip" {
  value = <<EOT
x %{~ if true ~} y %{~ endif ~} z
EOT
}
