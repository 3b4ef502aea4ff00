output "setproduct" { value = setproduct(["a", "b"], ["1", "2"]) }
output "setunion" { value = setunion(["a", "b"], ["b", "c"]) }
output "setintersection" { value = setintersection(["a", "b", "c"], ["b", "c", "d"]) }
output "setsubtract" { value = setsubtract(["a", "b", "c"], ["b"]) }
output "alltrue" { value = [alltrue([true, true]), alltrue([]), anytrue([false, true]), anytrue([])] }
output "one" { value = [one([]), one(["x"])] }
output "sum" { value = sum([1, 2, 3.5]) }
output "transpose" { value = transpose({ a = ["1", "2"], b = ["2", "3"] }) }
output "matchkeys" { value = matchkeys(["i-1", "i-2", "i-3"], ["us", "eu", "us"], ["us"]) }
