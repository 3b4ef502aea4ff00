# The module's logic with the host provider mocked: which roles land where, what each
# host's configuration says, and which daemons start, for hosts with Hadoop and without.

mock_provider "host" {
  mock_data "host_probe" {
    defaults = {
      stdout = "installed=yes\njava_home=/usr/lib/jvm/java-17\n"
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
    condition     = length(output.daemons) == 7 && output.daemons["datanode@dn2"] == 4242 && output.daemons["historyserver@nn"] == 4242
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
      stdout = "installed=no\njava_home=\n"
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

run "jars_from_maven" {
  command = plan
  override_data {
    target = data.host_probe.hadoop
    values = {
      stdout = "installed=no\njava_home=/opt/jdk\n"
    }
  }
  variables {
    install          = "maven"
    hadoop_version   = "3.4.1"
    maven_repository = "https://nexus.example.com/maven2"
    port_step        = 100
  }
  assert {
    condition     = length(host_command.install) == 3 && strcontains(host_command.install["dn1"].command, "https://nexus.example.com/maven2")
    error_message = "every host resolves the jars from the mirror"
  }
  assert {
    condition     = host_service.daemon["datanode@dn2"].command == "/srv/hadoop/dn2/bin/hdfs datanode" && host_service.daemon["datanode@dn2"].environment.HADOOP_HEAPSIZE_MAX == "1g"
    error_message = "a daemon starts through its host's launcher: ${host_service.daemon["datanode@dn2"].command}"
  }
  assert {
    condition     = strcontains(host_file.command["dn2/hdfs"].content, "-cp \"$HADOOP_CONF_DIR:/srv/hadoop/install/hadoop-3.4.1/lib/*") && strcontains(host_file.command["dn2/hdfs"].content, "\"hdfs datanode\") class=org.apache.hadoop.hdfs.server.datanode.DataNode")
    error_message = "the launcher runs java -cp CONF:LIB/* MainClass"
  }
  assert {
    condition     = host_service.daemon["datanode@dn2"].environment.JAVA_HOME == "/opt/jdk"
    error_message = "the probed Java is the daemons' JAVA_HOME"
  }
  assert {
    # dn1's ports move by 100, dn2's by 200.
    condition     = strcontains(host_file.site["dn2/hdfs-site.xml"].content, "<value>dn2:10066</value>") && host_service.daemon["datanode@dn1"].ready_port == 9966
    error_message = "port_step moves each worker's ports"
  }
  assert {
    condition     = strcontains(host_file.command["nn/hdfs"].content, "org.apache.hadoop.hdfs.tools.DFSAdmin")
    error_message = "each host gets its hdfs command"
  }
  assert {
    condition     = length(host_service.historyserver) == 1 && strcontains(host_service.historyserver["historyserver@nn"].command, "-safemode wait")
    error_message = "the history server waits for HDFS to leave safe mode"
  }
}

run "port_step_needs_numbered_hosts" {
  command = plan
  variables {
    hosts     = ["nn", "dn1", "worker-b"]
    port_step = 100
  }
  expect_failures = [host_service.daemon]
}

run "a_nodemanager_too_small_for_any_container_is_refused" {
  command = plan
  variables {
    yarn_site = { "yarn.nodemanager.resource.memory-mb" = "512", "yarn.scheduler.minimum-allocation-mb" = "1024" }
  }
  expect_failures = [host_service.daemon]
}

run "a_nodemanager_larger_than_its_host_is_refused" {
  command = plan
  override_data {
    target = data.host_probe.hadoop
    values = {
      stdout = "installed=yes\njava_home=/opt/jdk\nmemory_mb=4000\n"
    }
  }
  expect_failures = [host_service.daemon]
}

run "no_java_is_refused" {
  command = plan
  override_data {
    target = data.host_probe.hadoop
    values = {
      stdout = "installed=no\njava_home=\n"
    }
  }
  variables {
    install = "maven"
  }
  expect_failures = [host_command.install]
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
