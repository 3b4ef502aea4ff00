# The module's logic with the host provider mocked: which roles land where, what each
# host's configuration says, and which daemons start, for hosts with Hadoop and without.

mock_provider "host" {
  mock_data "host_probe" {
    defaults = {
      stdout = "yes\n"
    }
  }
  mock_resource "host_service" {
    defaults = {
      pid = 4242
    }
  }
}

variables {
  hosts    = ["nn", "dn1", "dn2"]
  work_dir = "/srv/hadoop"
}

run "roles" {
  command = plan
  assert {
    # compact() gives lists, and a list never equals a tuple literal.
    condition = output.roles == {
      nn  = tolist(["namenode", "resourcemanager", "historyserver"])
      dn1 = tolist(["datanode", "nodemanager"])
      dn2 = tolist(["datanode", "nodemanager"])
    }
    error_message = "roles: ${jsonencode(output.roles)}"
  }
  assert {
    condition     = output.default_fs == "hdfs://nn:9000"
    error_message = "default_fs: ${output.default_fs}"
  }
}

run "configuration" {
  command = plan
  variables {
    hdfs_site = { "dfs.blocksize" = "64m" }
  }
  assert {
    condition     = strcontains(host_file.site["dn1/hdfs-site.xml"].content, "<name>dfs.replication</name>\n    <value>2</value>")
    error_message = "two workers, replication 2: ${host_file.site["dn1/hdfs-site.xml"].content}"
  }
  assert {
    condition     = strcontains(host_file.site["dn2/hdfs-site.xml"].content, "<value>64m</value>")
    error_message = "hdfs_site is merged into every host's file"
  }
  assert {
    condition     = host_file.workers["nn"].content == "dn1\ndn2\n"
    error_message = "the workers file: ${jsonencode(host_file.workers["nn"].content)}"
  }
}

run "daemons_where_hadoop_is" {
  assert {
    condition     = length(output.daemons) == 7 && output.daemons["datanode@dn2"] == 4242
    error_message = "daemons: ${jsonencode(output.daemons)}"
  }
  assert {
    condition     = length(host_command.format) == 1
    error_message = "the namenode is formatted once"
  }
}

run "configuration_only_without_hadoop" {
  override_data {
    target = data.host_probe.hadoop
    values = {
      stdout = "no\n"
    }
  }
  assert {
    condition     = output.daemons == {} && length(host_command.format) == 0
    error_message = "no daemons where Hadoop is missing: ${jsonencode(output.daemons)}"
  }
  assert {
    condition     = output.installed == { nn = false, dn1 = false, dn2 = false }
    error_message = "installed: ${jsonencode(output.installed)}"
  }
}

run "one_host_does_everything" {
  command = plan
  variables {
    hosts = ["solo"]
  }
  assert {
    condition     = output.roles.solo == tolist(["namenode", "datanode", "resourcemanager", "nodemanager", "historyserver"])
    error_message = "roles: ${jsonencode(output.roles)}"
  }
}

run "no_hosts_is_refused" {
  command = plan
  variables {
    hosts = []
  }
  expect_failures = [var.hosts]
}
