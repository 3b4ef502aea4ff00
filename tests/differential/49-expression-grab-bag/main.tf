locals {
  empty = {}
  exprs = {
    a01 = [for i, v in { b = 1, a = 2 } : "${i}=${v}"]
    a02 = toset([3, 1, 2])
    a03 = [for s in toset(["b", "a"]) : s]
    a04 = "tab\there \u00e9 \\ \"q\""
    a05 = 1.5e-7
    a06 = tostring(0.1)
    a07 = jsonencode(0.1)
    a08 = 2 * 0.5
    a10 = 7 / 2
    a11 = floor(-7 / 2)
    a12 = [true ? [1] : [2, 3]]
    a13 = length(toset([1, 1, 2]))
    a14 = { for k in ["x", "y"] : k => upper(k) }
    a15 = merge({ a = [1] }, { b = "x" })
    a16 = concat(["a"], [1])
    a17 = [for x in [1, 2, 3] : x if x > 1][0]
    a18 = keys({ z = 1, "a b" = 2 })
    a20 = try(local.empty.x, "fb")
    a22 = format("%.3f", 2)
    a23 = format("%10.2f|", 3.14159)
    a25 = split("", "abc")
    a26 = join("", [])
    a27 = range(5, 0)
    a29 = sort(["b", "B", "a"])
    a33 = [[], {}]
    a36 = coalescelist([], [], ["c"])
    a38 = setproduct([1], ["a", "b"])
    a40 = "%{for k, v in { a = 1, b = 2 }}${k}${v};%{endfor}"
    a41 = max([1, 5, 3]...)
    a43 = pow(2, -1)
    a46 = 1e20 + 1
    a47 = 0.1 * 3
    a48 = 1 / 3 + 1 / 3
    a49 = upper("straße")
    a50 = substr("abc", 1, 100)
  }
}
output "all" { value = local.exprs }
