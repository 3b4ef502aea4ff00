output "length" { value = [length([1, 2]), length({ a = 1 }), length("héllo")] }
output "concat" { value = concat([1, 2], [3], []) }
output "flatten" { value = flatten([[1, [2]], 3, [[4]]]) }
output "keys" { value = keys({ b = 1, a = 2 }) }
output "values" { value = values({ b = 1, a = 2 }) }
output "lookup" { value = [lookup({ a = 1 }, "a", 0), lookup({ a = 1 }, "b", 0)] }
output "element" { value = [element(["a", "b", "c"], 1), element(["a", "b", "c"], 4)] }
output "contains" { value = [contains(["a", "b"], "b"), contains([1, 2], 3)] }
output "index" { value = index(["x", "y", "z"], "z") }
output "distinct" { value = distinct([1, 2, 1, 3, 2]) }
