# A Hadoop cluster's configuration, rendered per host for its roles (namenode, datanode,
# resourcemanager, nodemanager, historyserver), and its daemons started on the hosts where
# Hadoop is installed. Hosts without Hadoop get their configuration only.

locals {
  # How each host is reached: the shared settings, its address, and its own SSH port.
  connection = {
    for h in local.all_hosts : h => {
      type             = var.connection.type
      host             = h
      port             = lookup(var.connection.ports, h, var.connection.port)
      user             = var.connection.user
      private_key_file = var.connection.private_key_file
      known_hosts_file = var.connection.known_hosts_file
      ssh_config_file  = var.connection.ssh_config_file
    }
  }

  namenode        = coalesce(var.namenode, var.hosts[0])
  resourcemanager = coalesce(var.resourcemanager, local.namenode)
  historyserver   = coalesce(var.historyserver, local.resourcemanager)
  masters         = distinct([local.namenode, local.resourcemanager, local.historyserver])
  others          = [for h in var.hosts : h if !contains(local.masters, h)]
  workers         = var.workers != null ? var.workers : (length(local.others) > 0 ? local.others : var.hosts)
  host_list       = distinct(concat(var.hosts, local.workers))
  all_hosts       = toset(local.host_list)
  replication     = var.replication != null ? var.replication : min(3, length(local.workers))
  p               = var.ports
  # Each worker's ports: the base ports, moved by port_step times the number the host's
  # name ends with (node07, 127.0.1.7), so that workers sharing a machine do not clash and
  # a host keeps its ports whichever hosts come and go.
  port_index = { for h in local.host_list : h => var.port_step == 0 ? 0 : try(tonumber(regex("[0-9]+$", h)), -1) }
  wp = {
    for h, n in local.port_index : h => {
      datanode              = local.p.datanode + max(n, 0) * var.port_step
      datanode_http         = local.p.datanode_http + max(n, 0) * var.port_step
      datanode_ipc          = local.p.datanode_ipc + max(n, 0) * var.port_step
      nodemanager           = local.p.nodemanager + max(n, 0) * var.port_step
      nodemanager_http      = local.p.nodemanager_http + max(n, 0) * var.port_step
      nodemanager_localizer = local.p.nodemanager_localizer + max(n, 0) * var.port_step
      shuffle               = local.p.shuffle + max(n, 0) * var.port_step
    }
  }

  roles = {
    for h in local.all_hosts : h => compact([
      h == local.namenode ? "namenode" : "",
      contains(local.workers, h) ? "datanode" : "",
      h == local.resourcemanager ? "resourcemanager" : "",
      contains(local.workers, h) ? "nodemanager" : "",
      h == local.historyserver ? "historyserver" : "",
    ])
  }

  # Where Hadoop is on the hosts, and what each host says of itself while planning.
  install_dir = coalesce(var.install_dir, "${var.work_dir}/install")
  hadoop_home = {
    none    = var.hadoop_home
    maven   = "${local.install_dir}/hadoop-${var.hadoop_version}"
    tarball = "${local.install_dir}/hadoop"
  }[var.install]
  # Where the daemons and commands find Hadoop's jars when they are started as `java -cp`:
  # Maven's one lib dir, or a release's share/hadoop tree (the directories themselves hold
  # the web applications).
  classpath = {
    none  = ""
    maven = "${local.hadoop_home}/lib/*"
    tarball = join(":", [
      for d in [
        "common/lib/*", "common/*", "hdfs", "hdfs/lib/*", "hdfs/*", "mapreduce/*", "yarn", "yarn/lib/*",
        "yarn/*", "yarn/timelineservice/*",
      ] : "${local.hadoop_home}/share/hadoop/${d}"
    ])
  }[var.install]
  spark_venv = coalesce(var.spark_install_dir, "${local.install_dir}/pyspark")
  probed     = { for h, p in data.host_probe.hadoop : h => p.stdout }
  installed = {
    for h in local.all_hosts : h => var.install != "none" || try(regex("installed=(yes|no)", local.probed[h])[0], "no") == "yes"
  }
  java_home = {
    for h in local.all_hosts : h => var.java_home != null ? var.java_home : try(regex("java_home=(.*)", local.probed[h])[0], "")
  }
  memory_mb = { for h in local.all_hosts : h => try(tonumber(regex("memory_mb=([0-9]+)", local.probed[h])[0]), null) }
  # What each NodeManager offers to containers, and the smallest container YARN makes.
  nm_memory = { for h in local.all_hosts : h => tonumber(lookup(local.yarn_site[h], "yarn.nodemanager.resource.memory-mb", "8192")) }
  min_alloc = { for h in local.all_hosts : h => tonumber(lookup(local.yarn_site[h], "yarn.scheduler.minimum-allocation-mb", "1024")) }
  # JVM options Hadoop's scripts would add, with the packages its code reaches into opened
  # for Java 17.
  java17_opts = join(" ", [
    for m in [
      "java.base/java.lang", "java.base/java.lang.reflect", "java.base/java.io", "java.base/java.net",
      "java.base/java.nio", "java.base/java.util", "java.base/java.util.concurrent",
      "java.base/java.util.concurrent.atomic", "java.base/sun.nio.ch", "java.base/sun.nio.cs",
      "java.base/sun.security.action", "java.base/sun.util.calendar", "java.security.jgss/sun.security.krb5",
    ] : "--add-opens=${m}=ALL-UNNAMED"
  ])
  # Installed by the module, Hadoop is started as `java -cp` by each host's launcher;
  # found at hadoop_home, by Hadoop's own scripts.
  java_launch = var.install != "none"
  host_dir    = { for h in local.all_hosts : h => "${var.work_dir}/${h}" }
  conf_dir    = { for h in local.all_hosts : h => "${local.host_dir[h]}/conf" }
  log_dir     = { for h in local.all_hosts : h => "${local.host_dir[h]}/logs" }
  # Each host's own hadoop, hdfs, yarn and mapred commands, with its configuration.
  bin_dir = { for h in local.all_hosts : h => "${local.host_dir[h]}/bin" }

  core_site = {
    for h in local.all_hosts : h => merge({
      "fs.defaultFS"   = "hdfs://${local.namenode}:${local.p.namenode_rpc}"
      "hadoop.tmp.dir" = "${local.host_dir[h]}/tmp"
    }, var.core_site)
  }
  hdfs_site = {
    for h in local.all_hosts : h => merge(
      {
        "dfs.replication"                                      = tostring(local.replication)
        "dfs.namenode.rpc-address"                             = "${local.namenode}:${local.p.namenode_rpc}"
        "dfs.namenode.http-address"                            = "${local.namenode}:${local.p.namenode_http}"
        "dfs.namenode.name.dir"                                = "file://${local.host_dir[h]}/dfs/name"
        "dfs.datanode.data.dir"                                = "file://${local.host_dir[h]}/dfs/data"
        "dfs.datanode.address"                                 = "${h}:${local.wp[h].datanode}"
        "dfs.datanode.http.address"                            = "${h}:${local.wp[h].datanode_http}"
        "dfs.datanode.ipc.address"                             = "${h}:${local.wp[h].datanode_ipc}"
        "dfs.datanode.hostname"                                = h
        "dfs.namenode.datanode.registration.ip-hostname-check" = "false"
        "dfs.hosts.exclude"                                    = "${local.conf_dir[h]}/dfs.exclude"
        # DataNodes are reached by the name they register with, not by the address their
        # connection came from (on one machine that is 127.0.0.1 for all of them).
        "dfs.client.use.datanode.hostname"   = "true"
        "dfs.datanode.use.datanode.hostname" = "true"
      },
      var.hdfs_site,
    )
  }
  yarn_site = {
    for h in local.all_hosts : h => merge(
      {
        "yarn.resourcemanager.hostname"        = local.resourcemanager
        "yarn.resourcemanager.address"         = "${local.resourcemanager}:${local.p.resourcemanager}"
        "yarn.resourcemanager.webapp.address"  = "${local.resourcemanager}:${local.p.resourcemanager_http}"
        "yarn.resourcemanager.nodes.exclude-path" = "${local.conf_dir[h]}/yarn.exclude"
        "yarn.nodemanager.hostname"            = h
        "yarn.nodemanager.address"             = "${h}:${local.wp[h].nodemanager}"
        "yarn.nodemanager.webapp.address"      = "${h}:${local.wp[h].nodemanager_http}"
        "yarn.nodemanager.localizer.address"   = "${h}:${local.wp[h].nodemanager_localizer}"
        "yarn.nodemanager.aux-services"        = "mapreduce_shuffle"
        "yarn.nodemanager.aux-services.mapreduce_shuffle.class" = "org.apache.hadoop.mapred.ShuffleHandler"
        "yarn.nodemanager.local-dirs"          = "${local.host_dir[h]}/yarn/local"
        "yarn.nodemanager.log-dirs"            = "${local.host_dir[h]}/yarn/logs"
        "yarn.nodemanager.vmem-check-enabled"  = "false"
        "yarn.nodemanager.env-whitelist"       = "JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,CLASSPATH_PREPEND_DISTCACHE,HADOOP_YARN_HOME,HADOOP_HOME,HADOOP_MAPRED_HOME,PATH,LANG,TZ"
      },
      local.java_launch ? { "yarn.application.classpath" = "$HADOOP_CONF_DIR,${replace(local.classpath, ":", ",")}" } : {},
      var.yarn_site,
    )
  }
  mapred_site = {
    for h in local.all_hosts : h => merge(
      {
        "mapreduce.framework.name"            = "yarn"
        "mapreduce.jobhistory.address"        = "${local.historyserver}:${local.p.historyserver}"
        "mapreduce.jobhistory.webapp.address" = "${local.historyserver}:${local.p.historyserver_http}"
        "mapreduce.jobhistory.admin.address"  = "${local.historyserver}:${local.p.historyserver_admin}"
        "mapreduce.shuffle.port"              = tostring(local.wp[h].shuffle)
        "yarn.app.mapreduce.am.env"           = "HADOOP_MAPRED_HOME=${local.hadoop_home}"
        "mapreduce.map.env"                   = "HADOOP_MAPRED_HOME=${local.hadoop_home}"
        "mapreduce.reduce.env"                = "HADOOP_MAPRED_HOME=${local.hadoop_home}"
        # Job tasks run on Java 17 too.
        "yarn.app.mapreduce.am.admin-command-opts" = local.java17_opts
        "mapreduce.admin.map.child.java.opts"      = "-Djava.net.preferIPv4Stack=true ${local.java17_opts}"
        "mapreduce.admin.reduce.child.java.opts"   = "-Djava.net.preferIPv4Stack=true ${local.java17_opts}"
      },
      local.java_launch ? { "mapreduce.application.classpath" = replace(local.classpath, ":", ",") } : {},
      var.mapred_site,
    )
  }
  capacity_scheduler = merge({
    "yarn.scheduler.capacity.root.queues"                   = "default"
    "yarn.scheduler.capacity.root.default.capacity"         = "100"
    "yarn.scheduler.capacity.root.default.maximum-capacity" = "100"
    "yarn.scheduler.capacity.root.default.state"            = "RUNNING"
    "yarn.scheduler.capacity.maximum-am-resource-percent"   = "0.5"
  }, var.capacity_scheduler)
  log4j = <<-EOT
    # Daemons and commands log to stderr; the service's log file keeps it.
    hadoop.root.logger=INFO,console
    log4j.rootLogger=$${hadoop.root.logger}
    log4j.threshold=ALL
    log4j.appender.console=org.apache.log4j.ConsoleAppender
    log4j.appender.console.target=System.err
    log4j.appender.console.layout=org.apache.log4j.PatternLayout
    log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
    log4j.appender.NullAppender=org.apache.log4j.varia.NullAppender
    log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
  EOT
  files = merge([
    for h in local.all_hosts : {
      for name, content in {
        "core-site.xml"          = hadoop_config_xml(local.core_site[h])
        "hdfs-site.xml"          = hadoop_config_xml(local.hdfs_site[h])
        "yarn-site.xml"          = hadoop_config_xml(local.yarn_site[h])
        "mapred-site.xml"        = hadoop_config_xml(local.mapred_site[h])
        "capacity-scheduler.xml" = hadoop_config_xml(local.capacity_scheduler)
        "log4j.properties"       = local.log4j
      } : "${h}/${name}" => { host = h, path = "${local.conf_dir[h]}/${name}", content = content }
    }
  ]...)
  commands = merge([
    for h in local.all_hosts : {
      for tool in concat(
        ["hadoop", "hdfs", "yarn", "mapred"],
        contains([local.namenode, local.resourcemanager], h) ? ["meshform-admin"] : [],
        var.spark_on_yarn && h == local.resourcemanager ? ["spark-submit"] : [],
        ) : "${h}/${tool}" => {
        host = h
        path = "${local.bin_dir[h]}/${tool}"
      }
    } if local.installed[h]
  ]...)

  environment = {
    for h in local.all_hosts : h => merge(
      local.java_home[h] == "" ? {} : { JAVA_HOME = local.java_home[h] },
      {
        HADOOP_HOME     = local.hadoop_home
        HADOOP_CONF_DIR = local.conf_dir[h]
        HADOOP_LOG_DIR  = local.log_dir[h]
        HADOOP_PID_DIR  = "${local.host_dir[h]}/run"
      },
    )
  }
  # Each role's command, as each host's launcher (or Hadoop's own scripts) knows it.
  script = {
    namenode        = "hdfs namenode"
    datanode        = "hdfs datanode"
    resourcemanager = "yarn resourcemanager"
    nodemanager     = "yarn nodemanager"
    historyserver   = "mapred historyserver"
  }
  # A daemon's environment: its host's, with its heap and the name of its log.
  daemon_environment = {
    for k, d in local.daemons : k => merge(local.environment[d.host], {
      HADOOP_HEAPSIZE_MAX = var.daemon_memory
      HADOOP_LOGFILE      = "${d.role}.log"
    })
  }
  # The daemons: role => hosts, how each is started, the port that says it is up.
  daemons = merge([
    for h in local.all_hosts : {
      for role in local.roles[h] : "${role}@${h}" => {
        host = h
        role = role
        port = {
          namenode        = local.p.namenode_rpc
          datanode        = local.wp[h].datanode
          resourcemanager = local.p.resourcemanager
          nodemanager     = local.wp[h].nodemanager
          historyserver   = local.p.historyserver
        }[role]
      } if local.installed[h]
    }
  ]...)
  web_ui = {
    namenode        = "http://${local.namenode}:${local.p.namenode_http}"
    resourcemanager = "http://${local.resourcemanager}:${local.p.resourcemanager_http}"
    historyserver   = "http://${local.historyserver}:${local.p.historyserver_http}"
  }

  install_script = templatefile("${path.module}/install.sh.tftpl", {
    marker           = local.install_marker
    method           = var.install
    hadoop_home      = local.hadoop_home
    install_dir      = local.install_dir
    version          = var.hadoop_version
    repository       = var.maven_repository
    local_repository = var.maven_local_repository == null ? "" : var.maven_local_repository
    tarball_url      = var.tarball_url == null ? "" : var.tarball_url
    tarball_sha512   = var.tarball_sha512 == null ? "" : lower(var.tarball_sha512)
    artifacts        = local.artifacts
  })
  restart_on = {
    for h in local.all_hosts : h => sha256(join("", concat(
      [for n in ["core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml", "capacity-scheduler.xml"] : local.files["${h}/${n}"].content],
      [local.install_marker],
    )))
  }
  install_marker = sha256(jsonencode([var.install, var.hadoop_version, local.artifacts, var.tarball_url, var.tarball_sha512]))
  # Hadoop's artifacts the daemons, the job clients and the MapReduce examples need.
  artifacts = [
    "hadoop-common", "hadoop-hdfs", "hadoop-hdfs-client", "hadoop-yarn-client",
    "hadoop-yarn-server-resourcemanager", "hadoop-yarn-server-nodemanager",
    "hadoop-yarn-server-timelineservice", "hadoop-mapreduce-client-hs", "hadoop-mapreduce-client-app",
    "hadoop-mapreduce-client-shuffle", "hadoop-mapreduce-client-jobclient", "hadoop-mapreduce-examples",
  ]
}

# What each host says of itself while planning: whether Hadoop is at hadoop_home, and
# where Java is.
data "host_probe" "hadoop" {
  for_each   = local.all_hosts
  command    = "if [ -x ${var.hadoop_home}/bin/hdfs ]; then echo installed=yes; else echo installed=no; fi; j=$${JAVA_HOME:-}; if [ -z \"$j\" ] && command -v java > /dev/null 2>&1; then j=$(dirname \"$(dirname \"$(readlink -f \"$(command -v java)\")\")\"); fi; echo \"java_home=$j\"; echo \"memory_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo 2> /dev/null)\""
  connection = local.connection[each.key]
}

resource "host_command" "install" {
  for_each = var.install == "none" ? toset([]) : local.all_hosts
  command  = local.install_script
  labels   = { role = "hadoop-install" }
  lifecycle {
    precondition {
      condition     = var.install != "tarball" || (var.tarball_url != null && can(regex("^[0-9a-fA-F]{128}$", var.tarball_sha512)))
      error_message = "install = \"tarball\" needs tarball_url and its tarball_sha512 (128 hex digits)."
    }
    precondition {
      condition     = local.java_home[each.key] != ""
      error_message = "There is no Java on ${each.key} (no JAVA_HOME, no java on PATH): install Java 17 there or set java_home."
    }
  }
  connection = local.connection[each.key]
}

# pyspark on every host, for Spark jobs on YARN: the driver on the resourcemanager's host,
# Python workers in the NodeManagers' containers.
resource "host_command" "spark_install" {
  for_each   = var.spark_on_yarn ? local.all_hosts : toset([])
  command    = "set -e; mkdir -p ${local.spark_venv}; exec 9> ${local.spark_venv}/.install.lock; flock 9; [ -x ${local.spark_venv}/bin/python ] || python3 -m venv ${local.spark_venv}; ${local.spark_venv}/bin/python -c 'import pyspark' 2> /dev/null || ${local.spark_venv}/bin/pip install -q pyspark==${var.pyspark_version}; ${local.spark_venv}/bin/python -c 'import pyspark; print(pyspark.__version__)'"
  labels     = { role = "spark-install" }
  connection = local.connection[each.key]
}

resource "host_file" "site" {
  for_each   = local.files
  path       = each.value.path
  content    = each.value.content
  connection = local.connection[each.value.host]
}

resource "host_file" "workers" {
  for_each   = toset(distinct([local.namenode, local.resourcemanager]))
  path       = "${local.conf_dir[each.key]}/workers"
  content    = join("", [for w in local.workers : "${w}\n"])
  connection = local.connection[each.key]
}

# The host's own hadoop, hdfs, yarn and mapred commands (with its configuration), which
# the cluster commands run.
resource "host_file" "command" {
  for_each = local.commands
  path     = each.value.path
  mode     = "0755"
  content = endswith(each.key, "/meshform-admin") ? templatefile("${path.module}/admin.sh.tftpl", {
    host     = each.value.host
    conf_dir = local.conf_dir[each.value.host]
    }) : endswith(each.key, "/spark-submit") ? templatefile("${path.module}/spark-submit.sh.tftpl", {
    host      = each.value.host
    conf_dir  = local.conf_dir[each.value.host]
    java_home = local.java_home[each.value.host]
    venv      = local.spark_venv
    conf      = var.spark_conf
    }) : templatefile("${path.module}/launcher.sh.tftpl", {
    host        = each.value.host
    conf_dir    = local.conf_dir[each.value.host]
    log_dir     = local.log_dir[each.value.host]
    java_home   = local.java_home[each.value.host]
    java_launch = local.java_launch
    classpath   = local.classpath
    hadoop_home = local.hadoop_home
    java_opts   = local.java17_opts
  })
  connection = local.connection[each.value.host]
}

# Formats the namenode's metadata directory once (never over an existing one).
resource "host_command" "format" {
  for_each    = local.installed[local.namenode] ? toset([local.namenode]) : toset([])
  command     = "if [ ! -f ${local.host_dir[each.key]}/dfs/name/current/VERSION ]; then ${local.bin_dir[each.key]}/hdfs namenode -format -nonInteractive -force; fi"
  environment = local.environment[each.key]
  depends_on  = [host_command.install, host_file.site, host_file.command]
  connection  = local.connection[each.key]
}

# The exclude files the namenode and the resourcemanager read (decommissioning adds to
# them); never truncated.
resource "host_command" "exclude_files" {
  for_each   = { for h in distinct([local.namenode, local.resourcemanager]) : h => h if local.installed[h] }
  command    = "mkdir -p ${local.conf_dir[each.key]} && touch ${local.conf_dir[each.key]}/dfs.exclude ${local.conf_dir[each.key]}/yarn.exclude"
  connection = local.connection[each.key]
}

resource "host_service" "daemon" {
  for_each      = { for k, d in local.daemons : k => d if d.role != "historyserver" }
  command       = "${local.bin_dir[each.value.host]}/${local.script[each.value.role]}"
  environment   = local.daemon_environment[each.key]
  log_file      = "${local.log_dir[each.value.host]}/${each.value.role}.out"
  ready_port    = each.value.port
  ready_timeout = var.start_timeout
  # A worker is up once its master counts it, not when its port opens: one that opens its
  # port and then fails to register is not recorded as running.
  ready_command = lookup({
    datanode    = "${local.bin_dir[each.value.host]}/hdfs dfsadmin -report -live 2> /dev/null | grep -qx 'Hostname: ${each.value.host}'"
    nodemanager = "${local.bin_dir[each.value.host]}/yarn node -list -states RUNNING 2> /dev/null | awk '$1 == \"${each.value.host}:${each.value.port}\" { found = 1 } END { exit !found }'"
  }, each.value.role, null)
  # New configuration or a new installation on the host restarts its daemons.
  triggers   = local.restart_on[each.value.host]
  depends_on = [host_command.install, host_command.spark_install, host_command.format, host_command.exclude_files, host_file.site, host_file.workers]
  lifecycle {
    precondition {
      condition     = each.value.role != "nodemanager" || local.nm_memory[each.value.host] >= local.min_alloc[each.value.host]
      error_message = "The NodeManager on ${each.value.host} offers ${local.nm_memory[each.value.host]} MB to containers (yarn.nodemanager.resource.memory-mb), less than the ${local.min_alloc[each.value.host]} MB of YARN's smallest container (yarn.scheduler.minimum-allocation-mb): it could run nothing, and the ResourceManager would refuse it."
    }
    precondition {
      condition     = each.value.role != "nodemanager" || local.nm_memory[each.value.host] <= coalesce(local.memory_mb[each.value.host], local.nm_memory[each.value.host])
      error_message = "The NodeManager on ${each.value.host} would offer ${local.nm_memory[each.value.host]} MB to containers (yarn.nodemanager.resource.memory-mb), but the host has ${coalesce(local.memory_mb[each.value.host], 0)} MB of memory: lower it in yarn_site."
    }
    precondition {
      condition     = !contains(local.workers, each.value.host) || local.port_index[each.value.host] >= 0
      error_message = "port_step moves a worker's ports by the number its host name ends with, and ${each.value.host} ends with none: name the hosts node1, node2, … (or 127.0.1.2, …), or leave port_step at 0."
    }
  }
  labels = merge(
    {
      role     = each.value.role
      bin_dir  = local.bin_dir[each.value.host]
      work_dir = local.host_dir[each.value.host]
    },
    var.spark_on_yarn && each.value.role == "resourcemanager" ? { spark_submit = "${local.bin_dir[each.value.host]}/spark-submit" } : {},
    lookup(local.web_ui, each.value.role, null) == null ? {} : { web_ui_url = local.web_ui[each.value.role] },
  )
  connection = local.connection[each.value.host]
}

# The job history server keeps its files in HDFS: it starts once HDFS is out of safe mode.
resource "host_service" "historyserver" {
  for_each      = { for k, d in local.daemons : k => d if d.role == "historyserver" }
  command       = "sh -c '${local.bin_dir[each.value.host]}/hdfs dfsadmin -safemode wait > /dev/null && exec ${local.bin_dir[each.value.host]}/${local.script.historyserver}'"
  environment   = local.daemon_environment[each.key]
  log_file      = "${local.log_dir[each.value.host]}/historyserver.out"
  ready_port    = each.value.port
  ready_timeout = var.start_timeout
  triggers      = local.restart_on[each.value.host]
  depends_on    = [host_service.daemon]
  labels = {
    role       = "historyserver"
    bin_dir    = local.bin_dir[each.value.host]
    work_dir   = local.host_dir[each.value.host]
    web_ui_url = local.web_ui.historyserver
  }
  connection = local.connection[each.value.host]
}

# A worker leaving the hosts is taken out of service before its daemons stop: these run on
# the namenode's and the resourcemanager's hosts, each bringing its worker back into
# service when created and, when destroyed (before the daemons, which they depend on),
# decommissioning its DataNode (until HDFS holds its blocks elsewhere) or draining its
# NodeManager. With decommission = false a removed worker just stops.
resource "host_command" "decommission_datanode" {
  for_each        = { for k, d in local.daemons : d.host => d if d.role == "datanode" && local.installed[local.namenode] }
  command         = "${local.bin_dir[local.namenode]}/meshform-admin recommission-datanode ${each.key}"
  destroy_command = var.decommission ? "${local.bin_dir[local.namenode]}/meshform-admin decommission-datanode ${each.key} ${var.decommission_timeout}" : "true"
  labels          = { role = "datanode-decommission", worker = each.key }
  depends_on      = [host_service.daemon, host_file.command]
  connection      = local.connection[local.namenode]
}

resource "host_command" "decommission_nodemanager" {
  for_each        = { for k, d in local.daemons : d.host => d if d.role == "nodemanager" && local.installed[local.resourcemanager] }
  command         = "${local.bin_dir[local.resourcemanager]}/meshform-admin recommission-nodemanager ${each.key}"
  destroy_command = var.decommission ? "${local.bin_dir[local.resourcemanager]}/meshform-admin decommission-nodemanager ${each.key} ${var.decommission_timeout}" : "true"
  labels          = { role = "nodemanager-decommission", worker = each.key }
  depends_on      = [host_service.daemon, host_file.command]
  connection      = local.connection[local.resourcemanager]
}
