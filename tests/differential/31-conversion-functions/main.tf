output "tostring" { value = [tostring(1), tostring(true), tostring("x")] }
output "tonumber" { value = [tonumber("42"), tonumber("3.5"), tonumber(7)] }
output "tobool" { value = [tobool("true"), tobool(false)] }
output "tolist" { value = tolist(["a", "b"]) }
output "toset" { value = toset(["b", "a", "b"]) }
output "tomap" { value = tomap({ a = 1, b = 2 }) }
output "mixed_list" { value = tolist([1, "a"]) }
output "try" { value = [try(tonumber("x"), -1), try({ a = 1 }.b, "missing"), try(1, 2)] }
output "can" { value = [can(tonumber("1")), can(tonumber("x"))] }
