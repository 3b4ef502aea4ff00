output "abs" { value = [abs(-5), abs(2.5)] }
output "ceil_floor" { value = [ceil(1.2), floor(1.8), ceil(-1.2), floor(-1.8)] }
output "minmax" { value = [min(3, 1, 2), max(3, 1, 2), max(1.5, 1)] }
output "pow" { value = [pow(2, 10), pow(9, 0.5)] }
output "log" { value = [log(8, 2), log(100, 10)] }
output "signum" { value = [signum(-3), signum(0), signum(7)] }
output "parseint" { value = [parseint("ff", 16), parseint("-101", 2), parseint("777", 8), parseint("zz", 36)] }
