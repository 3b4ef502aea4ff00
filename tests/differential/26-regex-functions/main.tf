output "groups" { value = regex("(\\d+)\\.(\\d+)", "version 3.5") }
output "named" { value = regex("(?P<major>\\d+)\\.(?P<minor>\\d+)", "3.5") }
output "whole" { value = regex("[a-z]+", "123abc456") }
output "all" { value = regexall("[0-9]+", "a1b22c333") }
output "all_groups" { value = regexall("(\\w)=(\\d)", "a=1 b=2") }
output "can_match" { value = can(regex("^h", "host")) }
output "count" { value = length(regexall("o", "foo boo")) }
