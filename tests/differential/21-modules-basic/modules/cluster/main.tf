variable "name" {
  type = string
}
variable "workers" {
  type    = number
  default = 1
}
resource "terraform_data" "master" {
  input = "${var.name}-master"
}
resource "terraform_data" "worker" {
  count = var.workers
  input = "${var.name}-worker-${count.index}"
}
output "master" { value = terraform_data.master.output }
output "workers" { value = terraform_data.worker[*].output }
