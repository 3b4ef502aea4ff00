output "subnet" { value = [cidrsubnet("10.0.0.0/16", 8, 2), cidrsubnet("10.0.0.0/16", 4, 15)] }
output "subnets" { value = cidrsubnets("10.1.0.0/16", 4, 4, 8, 4) }
output "host" { value = [cidrhost("10.0.0.0/24", 5), cidrhost("10.0.0.0/24", -2)] }
output "netmask" { value = cidrnetmask("172.16.0.0/12") }
output "v6" { value = [cidrsubnet("fd00::/56", 8, 3), cidrhost("fd00::/64", 10)] }
output "per_host" { value = [for i in range(3) : cidrhost("192.168.1.0/24", i + 10)] }
