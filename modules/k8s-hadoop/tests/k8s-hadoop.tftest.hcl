# The module's logic with the Kubernetes provider mocked: the objects it would apply, and
# the configuration every daemon mounts.

mock_provider "kubernetes" {
  mock_resource "kubernetes_config_map" {
    defaults = {
      metadata = {
        name = "hadoop-conf"
      }
    }
  }
}

run "defaults" {
  command = plan
  assert {
    condition     = output.fs_default_fs == "hdfs://hadoop-namenode.default.svc:8020"
    error_message = "fs_default_fs: ${output.fs_default_fs}"
  }
  assert {
    condition     = kubernetes_manifest.datanode.manifest.spec.replicas == 3
    error_message = "three datanodes"
  }
  assert {
    condition     = strcontains(output.hadoop_conf["hdfs-site.xml"], "<name>dfs.replication</name>\n    <value>3</value>")
    error_message = "replication follows the datanodes: ${output.hadoop_conf["hdfs-site.xml"]}"
  }
}

run "one_datanode" {
  command = plan
  variables {
    name      = "small"
    namespace = "lab"
    datanodes = 1
    core_site = { "io.file.buffer.size" = "65536" }
  }
  assert {
    condition     = strcontains(output.hadoop_conf["hdfs-site.xml"], "<value>1</value>") && output.resourcemanager_address == "small-resourcemanager.lab.svc:8032"
    error_message = "one replica, and addresses in the namespace"
  }
  assert {
    condition     = strcontains(output.hadoop_conf["core-site.xml"], "<name>io.file.buffer.size</name>")
    error_message = "core_site is merged"
  }
}

run "applied" {
  assert {
    condition     = output.namespace == "default" && output.web_ui.namenode == "http://hadoop-namenode.default.svc:9870"
    error_message = "outputs: ${output.namespace} ${jsonencode(output.web_ui)}"
  }
}

run "no_datanodes_is_refused" {
  command = plan
  variables {
    datanodes = 0
  }
  expect_failures = [var.datanodes]
}
