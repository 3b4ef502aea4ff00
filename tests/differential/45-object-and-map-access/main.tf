locals {
  cluster = {
    name = "c1"
    nodes = {
      n1 = { ip = "10.0.0.1", tags = ["a", "b"] }
      n2 = { ip = "10.0.0.2", tags = [] }
    }
  }
}
output "ip" { value = local.cluster.nodes["n1"].ip }
output "ip_dot" { value = local.cluster.nodes.n2.ip }
output "first_tag" { value = local.cluster.nodes.n1.tags[0] }
output "legacy_index" { value = local.cluster.nodes.n1.tags.1 }
output "node_ips" { value = [for n in values(local.cluster.nodes) : n.ip] }
output "lookup_nested" { value = lookup(local.cluster.nodes, "n3", { ip = "none" }).ip }
