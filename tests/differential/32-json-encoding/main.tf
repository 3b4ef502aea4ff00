locals {
  doc = {
    name   = "cluster"
    nodes  = [1, 2, 3]
    meta   = { html = "<b>&</b>", empty = null, flag = true }
    ratio  = 0.25
  }
}
output "encoded" { value = jsonencode(local.doc) }
output "decoded" { value = jsondecode("{\"a\": [1, 2.5, \"x\"], \"b\": {\"c\": null}}") }
output "round_trip" { value = jsondecode(jsonencode(local.doc)) }
output "big" { value = jsondecode("12345678901234567890") }
