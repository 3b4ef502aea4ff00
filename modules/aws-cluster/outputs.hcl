output "hosts" {
  description = "Addresses of every host, in host list order (public ones unless public_addresses is false): the spark-standalone and hadoop modules' hosts."
  value       = [for h in local.hosts : var.public_addresses ? aws_instance.host[h].public_ip : aws_instance.host[h].private_ip]
}

output "master" {
  description = "Address of the master host."
  value       = var.public_addresses ? aws_instance.host[local.master].public_ip : aws_instance.host[local.master].private_ip
}

output "workers" {
  description = "Addresses of the worker hosts."
  value       = [for h in local.hosts : var.public_addresses ? aws_instance.host[h].public_ip : aws_instance.host[h].private_ip if h != local.master]
}

output "private_ips" {
  description = "Host name to private address."
  value       = { for h in local.hosts : h => aws_instance.host[h].private_ip }
}

output "instance_ids" {
  description = "Host name to instance id."
  value       = { for h in local.hosts : h => aws_instance.host[h].id }
}

output "connection" {
  description = "How to reach the hosts over SSH: the connection input of the spark-standalone and hadoop modules."
  value = {
    type             = "ssh"
    user             = var.ssh_user
    port             = 22
    private_key_file = var.private_key_file
  }
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_id" {
  value = aws_subnet.this.id
}

output "security_group_id" {
  value = aws_security_group.this.id
}
