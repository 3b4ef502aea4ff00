locals {
  hosts = ["h1", "h2", "h3"]
  on    = true
}
output "for_directive" { value = "%{for h in local.hosts}${h},%{endfor}" }
output "strip" {
  value = <<-EOT
    %{~ for h in local.hosts ~}
    ${h}
    %{~ endfor ~}
  EOT
}
output "if_else" { value = "mode=%{if local.on}on%{else}off%{endif}" }
output "escape" { value = "literal $${x} and %%{y}" }
output "interp_number" { value = "n=${1 + 1}" }
output "single_interp" { value = "${local.hosts}" }
