output "content" { value = trimspace(file("${path.module}/data.txt")) }
output "rendered" { value = templatefile("${path.module}/tpl.txt", { name = "x", items = [1, 2] }) }
