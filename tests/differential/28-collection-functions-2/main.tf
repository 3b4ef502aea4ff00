output "compact" { value = compact(["a", "", "b", null]) }
output "coalesce" { value = [coalesce("", "b", "c"), coalesce(null, 1)] }
output "coalescelist" { value = coalescelist([], ["x"]) }
output "merge" { value = merge({ a = 1, b = 2 }, { b = 3 }, { c = 4 }) }
output "range" { value = [range(3), range(1, 4), range(10, 0, -3), range(0, 1, 0.25)] }
output "zipmap" { value = zipmap(["a", "b"], [1, 2]) }
output "slice" { value = slice(["a", "b", "c", "d"], 1, 3) }
output "sort" { value = sort(["b", "a", "10", "9"]) }
output "reverse" { value = reverse([1, 2, 3]) }
output "chunklist" { value = chunklist([1, 2, 3, 4, 5], 2) }
