# A Spark standalone cluster: Spark installed where missing (the pyspark package in a
# venv), configuration rendered per host, the master on the first host and a worker on
# each of the others, all started as services.

locals {
  master      = var.hosts[0]
  workers     = slice(var.hosts, 1, length(var.hosts))
  master_url  = "spark://${local.master}:${var.master_port}"
  all_hosts   = { for i, h in var.hosts : h => i }
  conf_dir    = "${var.work_dir}/conf"
  spark_home  = "${var.install_dir}/lib/pyspark"
  java_env    = var.java_home == null ? {} : { JAVA_HOME = var.java_home }
  environment = merge(local.java_env, { SPARK_HOME = local.spark_home, SPARK_CONF_DIR = local.conf_dir, SPARK_LOG_DIR = "${var.work_dir}/logs" })
}

# Installs pyspark once per host (a lock keeps hosts that share a machine from racing)
# and links its Spark home at a fixed place.
resource "host_command" "install" {
  for_each = local.all_hosts
  command  = <<-EOT
    set -e
    mkdir -p ${var.install_dir}
    flock ${var.install_dir}/.install.lock sh -c '
      if [ ! -x ${var.install_dir}/bin/python ]; then python3 -m venv ${var.install_dir}; fi
      if ! ${var.install_dir}/bin/python -c "import pyspark" 2>/dev/null; then
        ${var.install_dir}/bin/pip install -q pyspark==${var.pyspark_version}
      fi
      mkdir -p ${var.install_dir}/lib
      ln -sfn "$(${var.install_dir}/bin/python -c "import os, pyspark; print(os.path.dirname(pyspark.__file__))")" ${local.spark_home}
    '
    ${local.spark_home}/bin/spark-submit --version 2>&1 | grep -o "version [0-9.]*" | head -1
  EOT
  connection {
    type             = var.connection.type
    host             = each.key
    port             = var.connection.port
    user             = var.connection.user
    private_key_file = var.connection.private_key_file
    known_hosts_file = var.connection.known_hosts_file
  }
}

resource "host_file" "defaults" {
  for_each = local.all_hosts
  path     = "${local.conf_dir}/spark-defaults.conf"
  content  = spark_conf(merge({ "spark.master" = local.master_url, "spark.executor.memory" = var.worker_memory }, var.spark_conf))
  connection {
    type             = var.connection.type
    host             = each.key
    port             = var.connection.port
    user             = var.connection.user
    private_key_file = var.connection.private_key_file
    known_hosts_file = var.connection.known_hosts_file
  }
}

resource "host_file" "workers" {
  path    = "${local.conf_dir}/workers"
  content = join("", [for w in local.workers : "${w}\n"])
  connection {
    type             = var.connection.type
    host             = local.master
    port             = var.connection.port
    user             = var.connection.user
    private_key_file = var.connection.private_key_file
    known_hosts_file = var.connection.known_hosts_file
  }
}

resource "host_service" "master" {
  command     = "${local.spark_home}/bin/spark-class org.apache.spark.deploy.master.Master --host ${local.master} --port ${var.master_port} --webui-port ${var.master_webui_port}"
  environment = local.environment
  log_file    = "${var.work_dir}/master.log"
  ready_port  = var.master_port
  depends_on  = [host_command.install, host_file.defaults, host_file.workers]
  connection {
    type             = var.connection.type
    host             = local.master
    port             = var.connection.port
    user             = var.connection.user
    private_key_file = var.connection.private_key_file
    known_hosts_file = var.connection.known_hosts_file
  }
}

resource "host_service" "worker" {
  for_each    = { for i, w in local.workers : w => i }
  command     = "${local.spark_home}/bin/spark-class org.apache.spark.deploy.worker.Worker ${local.master_url} --host ${each.key} --port ${var.worker_port_base + each.value} --webui-port ${var.worker_webui_port_base + each.value} --cores ${var.worker_cores} --memory ${var.worker_memory} --work-dir ${var.work_dir}/worker-${each.key}"
  environment = local.environment
  log_file    = "${var.work_dir}/worker-${each.key}.log"
  ready_port  = var.worker_port_base + each.value
  depends_on  = [host_service.master]
  connection {
    type             = var.connection.type
    host             = each.key
    port             = var.connection.port
    user             = var.connection.user
    private_key_file = var.connection.private_key_file
    known_hosts_file = var.connection.known_hosts_file
  }
}
