output "f1" { value = format("%s has %d cores", "node1", 8) }
output "f2" { value = format("%05.1f|%-6s|%6s|%x|%X|%o|%b", 3.14159, "ab", "cd", 255, 255, 8, 5) }
output "f3" { value = format("%q %t %v %v", "quoted", true, 42, "s") }
output "f4" { value = format("%v", [1, "two"]) }
output "f5" { value = format("%e", 12345.678) }
output "f6" { value = format("%%d literal %s", "x") }
output "f7" { value = format("%+d %d", 5, -5) }
output "list" { value = formatlist("%s=%d", ["a", "b"], [1, 2]) }
output "list_scalar" { value = formatlist("host-%s", ["x", "y"]) }
