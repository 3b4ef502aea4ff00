locals {
  nums  = [1, 2, 3, 4, 5, 6]
  words = ["apple", "avocado", "banana", "blueberry", "cherry"]
  m     = { a = 1, b = 2, c = 3 }
}
output "squares" { value = [for n in local.nums : n * n] }
output "evens" { value = [for n in local.nums : n if n % 2 == 0] }
output "indexed" { value = [for i, w in local.words : "${i}:${w}"] }
output "inverted" { value = { for k, v in local.m : v => k } }
output "grouped" { value = { for w in local.words : substr(w, 0, 1) => w... } }
output "filtered_map" { value = { for k, v in local.m : k => v * 10 if v > 1 } }
output "nested" { value = [for a in [1, 2] : [for b in [3, 4] : a * b]] }
output "set_iter" { value = [for s in toset(["z", "y", "x"]) : upper(s)] }
