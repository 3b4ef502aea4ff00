# The module's logic, with nothing made: the host provider is mocked, so hosts are only
# names and every run is a plan or an apply of what the module would do to them.

mock_provider "host" {
  mock_resource "host_command" {
    defaults = {
      stdout = "4.0.1\n"
    }
  }
}

variables {
  hosts    = ["node1", "node2", "node3"]
  work_dir = "/srv/spark"
}

run "layout" {
  command = plan

  assert {
    condition     = output.master_url == "spark://node1:7077" && output.web_ui_url == "http://node1:8080"
    error_message = "the first host is the master: ${output.master_url}"
  }
  assert {
    condition     = output.hosts.workers == ["node2", "node3"] && length(host_service.worker) == 2
    error_message = "a worker on every other host"
  }
  assert {
    condition     = host_file.workers.content == "node2\nnode3\n" && host_file.workers.path == "/srv/spark/node1/conf/workers"
    error_message = "the workers file lists the workers: ${jsonencode(host_file.workers.content)}"
  }
  assert {
    condition     = host_service.worker["node3"].ready_port == host_service.worker["node2"].ready_port + 1
    error_message = "workers on one machine get ports of their own"
  }
}

run "explicit_master" {
  command = plan
  variables {
    master = "node3"
  }
  assert {
    condition     = output.hosts == { master = "node3", workers = ["node1", "node2"] }
    error_message = "hosts: ${jsonencode(output.hosts)}"
  }
}

run "installed_from_a_tarball" {
  command = plan
  variables {
    install        = "tarball"
    install_dir    = "/opt/s"
    tarball_url    = "https://example.invalid/spark.tgz"
    tarball_sha512 = join("", [for i in range(32) : "AB12"])
  }
  assert {
    condition     = output.spark_home == "/opt/s/spark" && output.python == "python3"
    error_message = "spark_home: ${output.spark_home}"
  }
}

run "a_tarball_needs_its_checksum" {
  command = plan
  variables {
    install     = "tarball"
    tarball_url = "https://example.invalid/spark.tgz"
  }
  expect_failures = [host_command.install]
}

run "applied" {
  assert {
    condition     = output.versions == { node1 = "4.0.1", node2 = "4.0.1", node3 = "4.0.1" }
    error_message = "versions: ${jsonencode(output.versions)}"
  }
  assert {
    condition     = output.conf_dir == "/srv/spark/node1/conf"
    error_message = "conf_dir: ${output.conf_dir}"
  }
}

run "one_host_is_refused" {
  command = plan
  variables {
    hosts = ["node1"]
  }
  expect_failures = [var.hosts]
}

run "unknown_install_is_refused" {
  command = plan
  variables {
    install = "rpm"
  }
  expect_failures = [var.install]
}
