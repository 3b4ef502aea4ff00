locals {
  nodes = { master = "m1", worker = "w1" }
  port  = 7077
}
output "url" { value = "spark://${local.nodes.master}:${local.port}" }
output "list_in_template" { value = "workers: ${join(", ", values(local.nodes))}" }
output "cond_in_template" { value = "${local.port > 1000 ? "high" : "low"} port" }
output "nested_quotes" { value = "a \"quoted\" ${"inner ${"deep"}"}" }
output "unicode" { value = "héllo ${upper("wörld")}" }
