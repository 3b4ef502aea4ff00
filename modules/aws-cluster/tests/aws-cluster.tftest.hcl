# The module's logic with the AWS provider mocked: no call reaches EC2. The AMI lookup and
# the zones come from mock_data; instances get made-up ids and addresses.

mock_provider "aws" {
  mock_data "aws_ami" {
    defaults = {
      id = "ami-0123456789abcdef0"
    }
  }
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-west-1a", "eu-west-1b"]
    }
  }
  mock_resource "aws_instance" {
    defaults = {
      private_ip = "10.0.1.10"
      public_ip  = "203.0.113.10"
    }
  }
}

variables {
  name           = "test"
  hostlist       = "spark[01-03]"
  ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests test"
}

run "one_instance_per_host" {
  command = plan
  assert {
    condition     = keys(aws_instance.host) == ["spark01", "spark02", "spark03"]
    error_message = "instances: ${jsonencode(keys(aws_instance.host))}"
  }
  assert {
    condition     = aws_instance.host["spark01"].tags.Role == "master" && aws_instance.host["spark03"].tags.Role == "worker"
    error_message = "the first host is the master"
  }
  assert {
    condition     = aws_instance.host["spark02"].ami == "ami-0123456789abcdef0"
    error_message = "the AMI comes from the lookup when none is given"
  }
  assert {
    condition     = aws_subnet.this.availability_zone == "eu-west-1a"
    error_message = "the first available zone: ${aws_subnet.this.availability_zone}"
  }
}

run "sizes_and_spot_workers" {
  command = plan
  variables {
    ami                  = "ami-fixed"
    master_instance_type = "m5.xlarge"
    worker_instance_type = "m5.large"
    worker_disk_gb       = 200
    spot_workers         = true
  }
  assert {
    condition     = aws_instance.host["spark01"].instance_type == "m5.xlarge" && aws_instance.host["spark02"].instance_type == "m5.large"
    error_message = "instance types by role"
  }
  assert {
    condition     = aws_instance.host["spark03"].root_block_device.volume_size == 200
    error_message = "worker disks"
  }
  assert {
    condition     = aws_instance.host["spark02"].instance_market_options.market_type == "spot" && aws_instance.host["spark01"].instance_market_options == null
    error_message = "spot for workers only"
  }
  assert {
    condition     = length(data.aws_ami.default) == 0
    error_message = "no lookup when an AMI is given"
  }
}

run "applied" {
  assert {
    condition     = output.master == "203.0.113.10" && output.private_ips["spark01"] == "10.0.1.10" && length(output.workers) == 2
    error_message = "master ${output.master}, workers ${jsonencode(output.workers)}"
  }
  assert {
    condition     = output.connection.type == "ssh" && output.connection.port == 22
    error_message = "connection: ${jsonencode(output.connection)}"
  }
  assert {
    condition     = length(output.instance_ids["spark02"]) == 8
    error_message = "a made-up instance id: ${output.instance_ids["spark02"]}"
  }
}

run "private_addresses" {
  variables {
    public_addresses = false
  }
  assert {
    condition     = aws_subnet.this.map_public_ip_on_launch == false && output.master == "10.0.1.10"
    error_message = "the hosts are reached at their private addresses: ${output.master}"
  }
}
