# A Spark standalone cluster on EC2: the network and instances from modules/aws-cluster,
# Spark onto them over SSH from modules/spark-standalone.

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "endpoint" {
  type        = string
  default     = null
  description = "An EC2 endpoint to use instead of AWS's (an emulator such as moto)."
}

variable "name" {
  type    = string
  default = "spark-demo"
}

variable "hosts" {
  type        = string
  default     = "spark[01-03]"
  description = "The hosts as a host list pattern; the first is the master."
}

variable "ssh_public_key_file" {
  type    = string
  default = "~/.ssh/id_ed25519.pub"
}

variable "ssh_private_key_file" {
  type    = string
  default = "~/.ssh/id_ed25519"
}

variable "my_cidr" {
  type        = string
  default     = "0.0.0.0/0"
  description = "Who may SSH to the hosts and see the web UIs; narrow it to your own address."
}

variable "spot_workers" {
  type    = bool
  default = false
}

provider "aws" {
  region = var.region
  endpoints {
    ec2 = var.endpoint
  }
  default_tags {
    tags = { Project = var.name }
  }
}

module "cluster" {
  source               = "../../modules/aws-cluster"
  name                 = var.name
  hostlist             = var.hosts
  ssh_public_key       = file(pathexpand(var.ssh_public_key_file))
  private_key_file     = pathexpand(var.ssh_private_key_file)
  ssh_cidr_blocks      = [var.my_cidr]
  web_cidr_blocks      = [var.my_cidr]
  master_instance_type = "m5.large"
  worker_instance_type = "m5.xlarge"
  spot_workers         = var.spot_workers
  user_data            = file("${path.module}/cloud-init.sh")
}

module "spark" {
  source     = "../../modules/spark-standalone"
  hosts      = module.cluster.hosts
  connection = module.cluster.connection
  work_dir   = "/home/ubuntu/spark"
}

output "master" {
  value = module.cluster.master
}

output "hosts" {
  value = module.cluster.hosts
}

output "spark_ui" {
  value = "http://${module.cluster.master}:8080"
}
