# A Spark standalone cluster: Spark installed where missing (the pyspark package in a
# venv, or a checked release tarball), Java 17 installed where missing, configuration
# rendered per host, the master on one host and a worker on each of the others, all
# started as services.

locals {
  # How each host is reached: the shared settings, its address, and its own SSH port.
  connection = {
    for h in var.hosts : h => {
      type             = var.connection.type
      host             = h
      port             = lookup(var.connection.ports, h, var.connection.port)
      user             = var.connection.user
      private_key_file = var.connection.private_key_file
      known_hosts_file = var.connection.known_hosts_file
      ssh_config_file  = var.connection.ssh_config_file
    }
  }

  master     = coalesce(var.master, var.hosts[0])
  workers    = [for h in var.hosts : h if h != local.master]
  worker_num = { for i, w in local.workers : w => i }
  master_url = "spark://${local.master}:${var.master_port}"
  web_ui_url = "http://${local.master}:${var.master_webui_port}"
  all_hosts  = { for i, h in var.hosts : h => i }
  spark_home = {
    pyspark = "${var.install_dir}/lib/pyspark"
    tarball = "${var.install_dir}/spark"
    none    = coalesce(var.spark_home, "/opt/spark")
  }[var.install]
  java_home_text = var.java_home == null ? "" : var.java_home
  tarball_url    = var.tarball_url == null ? "" : var.tarball_url
  tarball_sha512 = var.tarball_sha512 == null ? "" : lower(var.tarball_sha512)
  python         = var.install == "pyspark" ? "${var.install_dir}/bin/python" : "python3"

  # Each host's own directory: hosts may share a machine or a file system.
  host_dir = { for h in var.hosts : h => "${var.work_dir}/${h}" }
  conf_dir = { for h in var.hosts : h => "${local.host_dir[h]}/conf" }

  base_env = merge(
    var.java_home == null ? {} : { JAVA_HOME = var.java_home },
    { PYSPARK_PYTHON = local.python },
  )
  spark_env = {
    for h in var.hosts : h => merge(
      local.base_env,
      {
        SPARK_LOCAL_IP = h
        SPARK_LOG_DIR  = "${local.host_dir[h]}/logs"
        SPARK_PID_DIR  = "${local.host_dir[h]}/run"
      },
      h == local.master ? {
        SPARK_MASTER_HOST       = h
        SPARK_MASTER_PORT       = tostring(var.master_port)
        SPARK_MASTER_WEBUI_PORT = tostring(var.master_webui_port)
        SPARK_DAEMON_MEMORY     = var.master_memory
        } : {
        SPARK_WORKER_CORES      = tostring(var.worker_cores)
        SPARK_WORKER_MEMORY     = var.worker_memory
        SPARK_WORKER_PORT       = tostring(var.worker_port_base + local.worker_num[h])
        SPARK_WORKER_WEBUI_PORT = tostring(var.worker_webui_port_base + local.worker_num[h])
        SPARK_WORKER_DIR        = "${local.host_dir[h]}/work"
      },
      var.spark_env,
    )
  }
  defaults = spark_conf(merge({ "spark.master" = local.master_url, "spark.executor.memory" = var.worker_memory }, var.spark_conf))

  # Installs Java where missing, then Spark where missing. A lock keeps hosts that share a
  # machine from racing; every step checks first, so a rerun after a failure resumes.
  install_script = <<-EOT
    set -e
    mkdir -p ${var.install_dir}
    exec 9> ${var.install_dir}/.install.lock
    flock 9
    %{~if var.install_java}
    if [ -z "${local.java_home_text}" ] && ! command -v java > /dev/null 2>&1; then
      SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
      if command -v apt-get > /dev/null 2>&1; then
        $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless
      elif command -v dnf > /dev/null 2>&1; then
        $SUDO dnf install -y -q java-17-openjdk-headless
      elif command -v yum > /dev/null 2>&1; then
        $SUDO yum install -y -q java-17-openjdk-headless
      else
        echo "Java 17 is missing on $(hostname) and there is no apt-get, dnf or yum to install it; set java_home" >&2
        exit 1
      fi
    fi
    %{~endif}
    %{~if var.install == "pyspark"}
    if [ ! -x ${var.install_dir}/bin/python ]; then python3 -m venv ${var.install_dir}; fi
    if ! ${var.install_dir}/bin/python -c "import pyspark" 2> /dev/null; then
      ${var.install_dir}/bin/pip install -q pyspark==${var.pyspark_version}
    fi
    mkdir -p ${var.install_dir}/lib
    ln -sfn "$(${var.install_dir}/bin/python -c "import os, pyspark; print(os.path.dirname(pyspark.__file__))")" ${local.spark_home}
    %{~endif}
    %{~if var.install == "tarball"}
    if [ ! -x ${local.spark_home}/bin/spark-submit ]; then
      part=${var.install_dir}/spark.tgz.part
      if command -v curl > /dev/null 2>&1; then
        curl -fsSL -C - -o "$part" "${local.tarball_url}" || curl -fsSL -o "$part" "${local.tarball_url}"
      else
        wget -q -c -O "$part" "${local.tarball_url}"
      fi
      if ! echo "${local.tarball_sha512}  $part" | sha512sum -c --status; then
        rm -f "$part"
        echo "the download of ${local.tarball_url} does not match tarball_sha512: refused" >&2
        exit 1
      fi
      rm -rf ${local.spark_home}.partial && mkdir -p ${local.spark_home}.partial
      tar -xzf "$part" -C ${local.spark_home}.partial --strip-components=1
      mv ${local.spark_home}.partial ${local.spark_home}
      rm -f "$part"
    fi
    %{~endif}
    ${local.spark_home}/bin/spark-submit --version 2>&1 | grep -o "version [0-9.]*" | head -1
  EOT
}

resource "host_command" "install" {
  for_each = local.all_hosts
  command  = local.install_script
  labels   = { role = "spark-install" }
  lifecycle {
    precondition {
      condition     = var.install != "tarball" || (var.tarball_url != null && can(regex("^[0-9a-fA-F]{128}$", var.tarball_sha512)))
      error_message = "install = \"tarball\" needs tarball_url and its tarball_sha512 (128 hex digits)."
    }
    precondition {
      condition     = var.install != "none" || var.spark_home != null
      error_message = "install = \"none\" needs spark_home: where Spark already is on the hosts."
    }
  }
  connection = local.connection[each.key]
}

resource "host_file" "env" {
  for_each   = local.all_hosts
  path       = "${local.conf_dir[each.key]}/spark-env.sh"
  mode       = "0755"
  content    = "# spark-env.sh for ${each.key} (${each.key == local.master ? "master" : "worker"}), rendered by meshform\n${join("", [for k, v in local.spark_env[each.key] : "export ${k}=\"${replace(replace(v, "\\", "\\\\"), "\"", "\\\"")}\"\n"])}"
  connection = local.connection[each.key]
}

resource "host_file" "defaults" {
  for_each   = local.all_hosts
  path       = "${local.conf_dir[each.key]}/spark-defaults.conf"
  content    = local.defaults
  connection = local.connection[each.key]
}

resource "host_file" "workers" {
  path       = "${local.conf_dir[local.master]}/workers"
  content    = join("", [for w in local.workers : "${w}\n"])
  connection = local.connection[local.master]
}

resource "host_service" "master" {
  command     = "${local.spark_home}/bin/spark-class org.apache.spark.deploy.master.Master --host ${local.master} --port ${var.master_port} --webui-port ${var.master_webui_port}"
  environment = { SPARK_HOME = local.spark_home, SPARK_CONF_DIR = local.conf_dir[local.master] }
  log_file    = "${local.host_dir[local.master]}/master.log"
  ready_port  = var.master_port
  # A changed spark-env.sh or spark-defaults.conf restarts the daemon.
  triggers   = sha256("${host_file.env[local.master].content}${local.defaults}")
  depends_on = [host_command.install, host_file.defaults, host_file.workers]
  labels = merge(
    {
      role       = "spark-master"
      master_url = local.master_url
      web_ui_url = local.web_ui_url
      spark_home = local.spark_home
      conf_dir   = local.conf_dir[local.master]
      work_dir   = local.host_dir[local.master]
      python     = local.python
    },
    var.java_home == null ? {} : { java_home = var.java_home },
  )
  connection = local.connection[local.master]
}

resource "host_service" "worker" {
  for_each    = local.worker_num
  command     = "${local.spark_home}/bin/spark-class org.apache.spark.deploy.worker.Worker ${local.master_url} --host ${each.key} --port ${var.worker_port_base + each.value} --webui-port ${var.worker_webui_port_base + each.value} --cores ${var.worker_cores} --memory ${var.worker_memory} --work-dir ${local.host_dir[each.key]}/work"
  environment = { SPARK_HOME = local.spark_home, SPARK_CONF_DIR = local.conf_dir[each.key] }
  log_file    = "${local.host_dir[each.key]}/worker.log"
  ready_port  = var.worker_port_base + each.value
  triggers    = sha256("${host_file.env[each.key].content}${local.defaults}")
  depends_on  = [host_command.install, host_file.defaults, host_service.master]
  labels = {
    role       = "spark-worker"
    web_ui_url = "http://${each.key}:${var.worker_webui_port_base + each.value}"
  }
  connection = local.connection[each.key]
}
