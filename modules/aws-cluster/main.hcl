locals {
  hosts  = hostlist(var.hostlist)
  master = coalesce(var.master, local.hosts[0])
  roles  = { for h in local.hosts : h => h == local.master ? "master" : "worker" }
  tags   = merge(var.tags, { Cluster = var.name })

  default_ami = var.ami != null ? var.ami : data.aws_ami.default[0].id
  ami = {
    master = coalesce(var.master_ami, local.default_ami)
    worker = coalesce(var.worker_ami, local.default_ami)
  }
  instance_type = { master = var.master_instance_type, worker = var.worker_instance_type }
  disk_gb       = { master = var.master_disk_gb, worker = var.worker_disk_gb }
  web_ports     = [[8080, 8088], [9870, 9870], [18080, 18080]]
}

data "aws_ami" "default" {
  count       = var.ami == null ? 1 : 0
  owners      = var.ami_owners
  most_recent = true
  filter {
    name   = "name"
    values = [var.ami_name]
  }
}

data "aws_availability_zones" "zones" {
  state = "available"
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "this" {
  vpc_id                  = aws_vpc.this.id
  cidr_block              = var.subnet_cidr
  availability_zone       = coalesce(var.availability_zone, data.aws_availability_zones.zones.names[0])
  map_public_ip_on_launch = var.public_addresses
  tags                    = merge(local.tags, { Name = var.name })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_route_table" "this" {
  vpc_id = aws_vpc.this.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
  tags = merge(local.tags, { Name = var.name })
}

resource "aws_route_table_association" "this" {
  subnet_id      = aws_subnet.this.id
  route_table_id = aws_route_table.this.id
}

resource "aws_security_group" "this" {
  name        = "${var.name}-cluster"
  description = "Cluster ${var.name}: SSH from outside, everything between its hosts"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.ssh_cidr_blocks
  }

  ingress {
    description = "between the cluster's hosts"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    self        = true
  }

  dynamic "ingress" {
    for_each = length(var.web_cidr_blocks) > 0 ? local.web_ports : []
    content {
      description = "web UIs"
      from_port   = ingress.value[0]
      to_port     = ingress.value[1]
      protocol    = "tcp"
      cidr_blocks = var.web_cidr_blocks
    }
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = merge(local.tags, { Name = var.name })
}

resource "aws_key_pair" "this" {
  key_name   = "${var.name}-cluster"
  public_key = var.ssh_public_key
  tags       = local.tags
}

resource "aws_instance" "host" {
  for_each = local.roles

  ami                         = local.ami[each.value]
  instance_type               = local.instance_type[each.value]
  subnet_id                   = aws_subnet.this.id
  vpc_security_group_ids      = [aws_security_group.this.id]
  key_name                    = aws_key_pair.this.key_name
  associate_public_ip_address = var.public_addresses
  user_data                   = var.user_data == null ? null : replace(replace(var.user_data, "$${host}", each.key), "$${role}", each.value)

  root_block_device {
    volume_size           = local.disk_gb[each.value]
    volume_type           = var.disk_type
    delete_on_termination = true
  }

  dynamic "instance_market_options" {
    for_each = var.spot_workers && each.value == "worker" ? [1] : []
    content {
      market_type = "spot"
      spot_options {
        max_price = var.spot_max_price
      }
    }
  }

  tags = merge(local.tags, { Name = each.key, Role = each.value })

  depends_on = [aws_route_table_association.this, aws_internet_gateway.this]
}
