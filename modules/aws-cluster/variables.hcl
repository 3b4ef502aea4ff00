variable "name" {
  type        = string
  description = "The cluster's name: the Name and Cluster tags of everything it makes, and the prefix of the security group and key pair names."
}

variable "hostlist" {
  type        = string
  description = "The hosts, as a host list pattern (\"spark[01-04]\"): one instance each, named by the Name tag."
}

variable "master" {
  type        = string
  default     = null
  description = "Which host of the list is the master; the first when null."
}

variable "vpc_cidr" {
  type    = string
  default = "10.42.0.0/16"
}

variable "subnet_cidr" {
  type    = string
  default = "10.42.1.0/24"
}

variable "availability_zone" {
  type        = string
  default     = null
  description = "The zone of the subnet (and so of every instance); the region's first when null."
}

variable "ami" {
  type        = string
  default     = null
  description = "The image of every host unless master_ami / worker_ami say otherwise; when null, the newest image matching ami_owners and ami_name."
}

variable "ami_owners" {
  type    = list(string)
  default = ["099720109477"]
}

variable "ami_name" {
  type        = string
  default     = "ubuntu/images/hvm-ssd/ubuntu-*"
  description = "A DescribeImages name filter, used when ami is null."
}

variable "master_ami" {
  type    = string
  default = null
}

variable "worker_ami" {
  type    = string
  default = null
}

variable "master_instance_type" {
  type    = string
  default = "m5.large"
}

variable "worker_instance_type" {
  type    = string
  default = "m5.xlarge"
}

variable "master_disk_gb" {
  type    = number
  default = 50
}

variable "worker_disk_gb" {
  type    = number
  default = 100
}

variable "disk_type" {
  type    = string
  default = "gp3"
}

variable "spot_workers" {
  type        = bool
  default     = false
  description = "Run the workers as spot instances (the master stays on-demand)."
}

variable "spot_max_price" {
  type        = string
  default     = null
  description = "The most to pay per hour for a spot worker; the on-demand price when null."
}

variable "ssh_public_key" {
  type        = string
  description = "The public key (OpenSSH format) the hosts accept, imported as the cluster's key pair."
}

variable "ssh_user" {
  type        = string
  default     = "ubuntu"
  description = "The login user of the image."
}

variable "private_key_file" {
  type        = string
  default     = null
  description = "The private key that matches ssh_public_key, handed on in the connection output."
}

variable "ssh_cidr_blocks" {
  type        = list(string)
  default     = ["0.0.0.0/0"]
  description = "Who may reach the hosts over SSH (port 22)."
}

variable "web_cidr_blocks" {
  type        = list(string)
  default     = []
  description = "Who may reach the Spark and Hadoop web UIs (8080-8088, 9870, 18080)."
}

variable "public_addresses" {
  type        = bool
  default     = true
  description = "Give each host a public address and hand public addresses to the hosts output; private ones otherwise."
}

variable "user_data" {
  type        = string
  default     = null
  description = "A cloud-init script every host runs on first boot; $${host} and $${role} in it are replaced per host."
}

variable "tags" {
  type    = map(string)
  default = {}
}
