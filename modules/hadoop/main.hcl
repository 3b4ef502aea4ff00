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
  all_hosts       = toset(distinct(concat(var.hosts, local.workers)))
  replication     = var.replication != null ? var.replication : min(3, length(local.workers))
  p               = var.ports

  roles = {
    for h in local.all_hosts : h => compact([
      h == local.namenode ? "namenode" : "",
      contains(local.workers, h) ? "datanode" : "",
      h == local.resourcemanager ? "resourcemanager" : "",
      contains(local.workers, h) ? "nodemanager" : "",
      h == local.historyserver ? "historyserver" : "",
    ])
  }
  host_dir = { for h in local.all_hosts : h => "${var.work_dir}/${h}" }
  conf_dir = { for h in local.all_hosts : h => "${local.host_dir[h]}/conf" }

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
        "dfs.datanode.address"                                 = "${h}:${local.p.datanode}"
        "dfs.datanode.http.address"                            = "${h}:${local.p.datanode_http}"
        "dfs.datanode.ipc.address"                             = "${h}:${local.p.datanode_ipc}"
        "dfs.datanode.hostname"                                = h
        "dfs.namenode.datanode.registration.ip-hostname-check" = "false"
      },
      var.hdfs_site,
    )
  }
  yarn_site = {
    for h in local.all_hosts : h => merge(
      {
        "yarn.resourcemanager.hostname"       = local.resourcemanager
        "yarn.resourcemanager.address"        = "${local.resourcemanager}:${local.p.resourcemanager}"
        "yarn.resourcemanager.webapp.address" = "${local.resourcemanager}:${local.p.resourcemanager_http}"
        "yarn.nodemanager.hostname"           = h
        "yarn.nodemanager.address"            = "${h}:${local.p.nodemanager}"
        "yarn.nodemanager.webapp.address"     = "${h}:${local.p.nodemanager_http}"
        "yarn.nodemanager.aux-services"       = "mapreduce_shuffle"
        "yarn.nodemanager.local-dirs"         = "${local.host_dir[h]}/yarn/local"
        "yarn.nodemanager.log-dirs"           = "${local.host_dir[h]}/yarn/logs"
      },
      var.yarn_site,
    )
  }
  mapred_site = {
    for h in local.all_hosts : h => merge(
      {
        "mapreduce.framework.name"            = "yarn"
        "mapreduce.jobhistory.address"        = "${local.historyserver}:${local.p.historyserver}"
        "mapreduce.jobhistory.webapp.address" = "${local.historyserver}:${local.p.historyserver_http}"
        "yarn.app.mapreduce.am.env"           = "HADOOP_MAPRED_HOME=${var.hadoop_home}"
        "mapreduce.map.env"                   = "HADOOP_MAPRED_HOME=${var.hadoop_home}"
        "mapreduce.reduce.env"                = "HADOOP_MAPRED_HOME=${var.hadoop_home}"
      },
      var.mapred_site,
    )
  }
  files = merge([
    for h in local.all_hosts : {
      for name, props in {
        "core-site.xml"   = local.core_site[h]
        "hdfs-site.xml"   = local.hdfs_site[h]
        "yarn-site.xml"   = local.yarn_site[h]
        "mapred-site.xml" = local.mapred_site[h]
      } : "${h}/${name}" => { host = h, path = "${local.conf_dir[h]}/${name}", content = hadoop_config_xml(props) }
    }
  ]...)

  installed = { for h, p in data.host_probe.hadoop : h => trimspace(p.stdout) == "yes" }
  environment = {
    for h in local.all_hosts : h => merge(
      var.java_home == null ? {} : { JAVA_HOME = var.java_home },
      {
        HADOOP_HOME     = var.hadoop_home
        HADOOP_CONF_DIR = local.conf_dir[h]
        HADOOP_LOG_DIR  = "${local.host_dir[h]}/logs"
        HADOOP_PID_DIR  = "${local.host_dir[h]}/run"
      },
    )
  }
  # The daemons: role => hosts, how each is started, the port that says it is up.
  daemons = merge([
    for h in local.all_hosts : {
      for role in local.roles[h] : "${role}@${h}" => {
        host = h
        role = role
        command = {
          namenode        = "${var.hadoop_home}/bin/hdfs namenode"
          datanode        = "${var.hadoop_home}/bin/hdfs datanode"
          resourcemanager = "${var.hadoop_home}/bin/yarn resourcemanager"
          nodemanager     = "${var.hadoop_home}/bin/yarn nodemanager"
          historyserver   = "${var.hadoop_home}/bin/mapred historyserver"
        }[role]
        port = {
          namenode        = local.p.namenode_rpc
          datanode        = local.p.datanode
          resourcemanager = local.p.resourcemanager
          nodemanager     = local.p.nodemanager
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
}

# Whether Hadoop is installed on each host, asked while planning.
data "host_probe" "hadoop" {
  for_each   = local.all_hosts
  command    = "if [ -x ${var.hadoop_home}/bin/hdfs ]; then echo yes; else echo no; fi"
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

# Formats the namenode's metadata directory once (never over an existing one).
resource "host_command" "format" {
  for_each    = local.installed[local.namenode] ? toset([local.namenode]) : toset([])
  command     = "if [ ! -f ${local.host_dir[each.key]}/dfs/name/current/VERSION ]; then ${var.hadoop_home}/bin/hdfs namenode -format -nonInteractive -force; fi"
  environment = local.environment[each.key]
  depends_on  = [host_file.site]
  connection  = local.connection[each.key]
}

resource "host_service" "daemon" {
  for_each    = local.daemons
  command     = each.value.command
  environment = local.environment[each.value.host]
  log_file    = "${local.host_dir[each.value.host]}/${each.value.role}.log"
  ready_port  = each.value.port
  # New configuration on the host restarts its daemons.
  triggers   = sha256(join("", [for n in ["core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml"] : host_file.site["${each.value.host}/${n}"].content]))
  depends_on = [host_command.format, host_file.workers]
  labels = merge(
    { role = each.value.role },
    lookup(local.web_ui, each.value.role, null) == null ? {} : { web_ui_url = local.web_ui[each.value.role] },
  )
  connection = local.connection[each.value.host]
}
