output "eq_num" { value = 1 == 1.0 }
output "eq_str_num" { value = 1 == "1" }
output "ne" { value = "a" != "b" }
output "lt" { value = 2 < 10 }
output "ge" { value = 3 >= 3 }
output "and_or" { value = true && !false || false }
output "list_eq" { value = [1, 2] == [1, 2] }
output "obj_eq" { value = { a = 1 } == { a = 1 } }
output "tuple_vs_list" { value = [1, "a"] == tolist([1, "a"]) }
