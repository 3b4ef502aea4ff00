# Hadoop on Kubernetes: HDFS (a namenode and datanodes, as StatefulSets with volume claims)
# and YARN (a resourcemanager, nodemanagers and a history server, as Deployments), with
# Services for their addresses and one ConfigMap of the rendered Hadoop configuration that
# every daemon mounts as its HADOOP_CONF_DIR.

locals {
  namespace = var.namespace
  conf_dir  = "/etc/hadoop/conf"
  svc = {
    for c in ["namenode", "datanode", "resourcemanager", "historyserver"] :
    c => "${var.name}-${c}.${var.namespace}.svc"
  }

  core_site = merge({
    "fs.defaultFS"   = "hdfs://${local.svc.namenode}:8020"
    "hadoop.tmp.dir" = "/tmp/hadoop"
  }, var.core_site)
  hdfs_site = merge({
    "dfs.replication"                                      = tostring(min(3, var.datanodes))
    "dfs.namenode.rpc-address"                             = "${local.svc.namenode}:8020"
    "dfs.namenode.http-address"                            = "${local.svc.namenode}:9870"
    "dfs.namenode.rpc-bind-host"                           = "0.0.0.0"
    "dfs.namenode.http-bind-host"                          = "0.0.0.0"
    "dfs.namenode.name.dir"                                = "file:///hadoop/dfs/name"
    "dfs.datanode.data.dir"                                = "file:///hadoop/dfs/data"
    "dfs.namenode.datanode.registration.ip-hostname-check" = "false"
    "dfs.client.use.datanode.hostname"                     = "false"
  }, var.hdfs_site)
  yarn_site = merge({
    "yarn.resourcemanager.hostname"       = local.svc.resourcemanager
    "yarn.resourcemanager.address"        = "${local.svc.resourcemanager}:8032"
    "yarn.resourcemanager.webapp.address" = "${local.svc.resourcemanager}:8088"
    "yarn.resourcemanager.bind-host"      = "0.0.0.0"
    "yarn.nodemanager.bind-host"          = "0.0.0.0"
    "yarn.nodemanager.aux-services"       = "mapreduce_shuffle"
    "yarn.nodemanager.local-dirs"         = "/tmp/hadoop/yarn/local"
    "yarn.nodemanager.log-dirs"           = "/tmp/hadoop/yarn/logs"
  }, var.yarn_site)
  mapred_site = merge({
    "mapreduce.framework.name"            = "yarn"
    "mapreduce.jobhistory.address"        = "${local.svc.historyserver}:10020"
    "mapreduce.jobhistory.webapp.address" = "${local.svc.historyserver}:19888"
    "mapreduce.jobhistory.bind-host"      = "0.0.0.0"
    "yarn.app.mapreduce.am.env"           = "HADOOP_MAPRED_HOME=/opt/hadoop"
    "mapreduce.map.env"                   = "HADOOP_MAPRED_HOME=/opt/hadoop"
    "mapreduce.reduce.env"                = "HADOOP_MAPRED_HOME=/opt/hadoop"
  }, var.mapred_site)
  files = {
    "core-site.xml"    = hadoop_config_xml(local.core_site)
    "hdfs-site.xml"    = hadoop_config_xml(local.hdfs_site)
    "yarn-site.xml"    = hadoop_config_xml(local.yarn_site)
    "mapred-site.xml"  = hadoop_config_xml(local.mapred_site)
    "log4j.properties" = <<-EOT
    log4j.rootLogger=INFO,console
    log4j.appender.console=org.apache.log4j.ConsoleAppender
    log4j.appender.console.target=System.err
    log4j.appender.console.layout=org.apache.log4j.PatternLayout
    log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
    EOT
  }

  labels = {
    for c in ["namenode", "datanode", "resourcemanager", "nodemanager", "historyserver"] : c => {
      "app.kubernetes.io/name"       = "hadoop"
      "app.kubernetes.io/instance"   = var.name
      "app.kubernetes.io/component"  = c
      "app.kubernetes.io/managed-by" = "meshform"
    }
  }
  selector = {
    for c, l in local.labels : c => {
      "app.kubernetes.io/instance"  = var.name
      "app.kubernetes.io/component" = c
    }
  }
  requests = {
    for c in keys(local.labels) : c => {
      cpu    = try(var.resources[c].cpu, "500m")
      memory = try(var.resources[c].memory, "1Gi")
    }
  }
  # Pods restart when the configuration they mount changes.
  pod_annotations = { "meshform.io/config-sha256" = sha256(jsonencode(local.files)) }
  conf_volume     = { name = "conf", configMap = { name = "${var.name}-conf" } }
  conf_mount      = { name = "conf", mountPath = local.conf_dir, readOnly = true }
  env = [
    { name = "HADOOP_CONF_DIR", value = local.conf_dir },
    { name = "HADOOP_HOME", value = "/opt/hadoop" },
  ]

  ports = {
    namenode        = [{ name = "rpc", port = 8020 }, { name = "http", port = 9870 }]
    datanode        = [{ name = "data", port = 9866 }, { name = "http", port = 9864 }, { name = "ipc", port = 9867 }]
    resourcemanager = [{ name = "rpc", port = 8032 }, { name = "scheduler", port = 8030 }, { name = "tracker", port = 8031 }, { name = "admin", port = 8033 }, { name = "http", port = 8088 }]
    nodemanager     = [{ name = "http", port = 8042 }]
    historyserver   = [{ name = "rpc", port = 10020 }, { name = "http", port = 19888 }]
  }
  # Services: the StatefulSets' governing (headless) services, and stable addresses for
  # the YARN masters.
  services = {
    namenode        = { headless = true }
    datanode        = { headless = true }
    resourcemanager = { headless = false }
    historyserver   = { headless = false }
  }
  deployments = {
    resourcemanager = { replicas = 1, command = ["yarn", "resourcemanager"] }
    nodemanager     = { replicas = var.nodemanagers, command = ["yarn", "nodemanager"] }
    historyserver   = { replicas = 1, command = ["mapred", "historyserver"] }
  }
  claim = {
    for c, size in { namenode = var.namenode_storage, datanode = var.datanode_storage } : c => {
      metadata = { name = c == "namenode" ? "name" : "data" }
      spec = {
        accessModes      = ["ReadWriteOnce"]
        storageClassName = var.storage_class
        resources        = { requests = { storage = size } }
      }
    }
  }
}

resource "kubernetes_namespace" "this" {
  count = var.create_namespace ? 1 : 0
  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/managed-by" = "meshform" }
  }
}

resource "kubernetes_config_map" "conf" {
  metadata {
    name      = "${var.name}-conf"
    namespace = var.namespace
    labels    = local.labels.namenode
  }
  data       = local.files
  depends_on = [kubernetes_namespace.this]
}

resource "kubernetes_manifest" "service" {
  for_each = local.services
  manifest = {
    apiVersion = "v1"
    kind       = "Service"
    metadata = {
      name      = "${var.name}-${each.key}"
      namespace = var.namespace
      labels    = local.labels[each.key]
    }
    spec = {
      clusterIP                = each.value.headless ? "None" : null
      publishNotReadyAddresses = each.value.headless ? true : null
      selector                 = local.selector[each.key]
      ports                    = [for p in local.ports[each.key] : { name = p.name, port = p.port, targetPort = p.port }]
    }
  }
  depends_on = [kubernetes_namespace.this]
}

resource "kubernetes_manifest" "namenode" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "StatefulSet"
    metadata = {
      name      = "${var.name}-namenode"
      namespace = var.namespace
      labels    = local.labels.namenode
    }
    spec = {
      serviceName = "${var.name}-namenode"
      replicas    = 1
      selector    = { matchLabels = local.selector.namenode }
      template = {
        metadata = { labels = local.labels.namenode, annotations = local.pod_annotations }
        spec = {
          securityContext = { fsGroup = 1000 }
          containers = [{
            name  = "namenode"
            image = var.image
            # Formats the metadata directory the first time only, never over existing metadata.
            command        = ["/bin/bash", "-c", "[ -d /hadoop/dfs/name/current ] || hdfs namenode -format -nonInteractive; exec hdfs namenode"]
            env            = local.env
            ports          = [for p in local.ports.namenode : { name = p.name, containerPort = p.port }]
            resources      = { requests = local.requests.namenode }
            volumeMounts   = [local.conf_mount, { name = "name", mountPath = "/hadoop/dfs/name" }]
            readinessProbe = { tcpSocket = { port = 8020 }, periodSeconds = 5 }
          }]
          volumes = [local.conf_volume]
        }
      }
      volumeClaimTemplates = [local.claim.namenode]
    }
  }
  wait {
    rollout = true
  }
  timeouts {
    create = var.rollout_timeout
  }
  depends_on = [kubernetes_config_map.conf, kubernetes_manifest.service]
}

resource "kubernetes_manifest" "datanode" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "StatefulSet"
    metadata = {
      name      = "${var.name}-datanode"
      namespace = var.namespace
      labels    = local.labels.datanode
    }
    spec = {
      serviceName         = "${var.name}-datanode"
      replicas            = var.datanodes
      podManagementPolicy = "Parallel"
      selector            = { matchLabels = local.selector.datanode }
      template = {
        metadata = { labels = local.labels.datanode, annotations = local.pod_annotations }
        spec = {
          securityContext = { fsGroup = 1000 }
          containers = [{
            name           = "datanode"
            image          = var.image
            command        = ["hdfs", "datanode"]
            env            = local.env
            ports          = [for p in local.ports.datanode : { name = p.name, containerPort = p.port }]
            resources      = { requests = local.requests.datanode }
            volumeMounts   = [local.conf_mount, { name = "data", mountPath = "/hadoop/dfs/data" }]
            readinessProbe = { tcpSocket = { port = 9866 }, periodSeconds = 5 }
          }]
          volumes = [local.conf_volume]
        }
      }
      volumeClaimTemplates = [local.claim.datanode]
    }
  }
  wait {
    rollout = true
  }
  timeouts {
    create = var.rollout_timeout
  }
  depends_on = [kubernetes_manifest.namenode]
}

resource "kubernetes_manifest" "deployment" {
  for_each = local.deployments
  manifest = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata = {
      name      = "${var.name}-${each.key}"
      namespace = var.namespace
      labels    = local.labels[each.key]
    }
    spec = {
      replicas = each.value.replicas
      selector = { matchLabels = local.selector[each.key] }
      template = {
        metadata = { labels = local.labels[each.key], annotations = local.pod_annotations }
        spec = {
          containers = [{
            name           = each.key
            image          = var.image
            command        = each.value.command
            env            = local.env
            ports          = [for p in local.ports[each.key] : { name = p.name, containerPort = p.port }]
            resources      = { requests = local.requests[each.key] }
            volumeMounts   = [local.conf_mount]
            readinessProbe = { tcpSocket = { port = local.ports[each.key][0].port }, periodSeconds = 5 }
          }]
          volumes = [local.conf_volume]
        }
      }
    }
  }
  wait {
    rollout = true
  }
  timeouts {
    create = var.rollout_timeout
  }
  depends_on = [kubernetes_manifest.namenode]
}
