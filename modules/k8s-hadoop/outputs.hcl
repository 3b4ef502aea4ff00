output "namespace" {
  value       = local.namespace
  description = "The namespace the cluster runs in; what uses it waits for the namespace to exist."
  depends_on  = [kubernetes_namespace.this]
}

output "fs_default_fs" {
  value       = local.core_site["fs.defaultFS"]
  description = "The HDFS URI clients use (hdfs://NAME-namenode.NAMESPACE.svc:8020)."
}

output "resourcemanager_address" {
  value       = local.yarn_site["yarn.resourcemanager.address"]
  description = "The YARN resourcemanager's RPC address."
}

output "config_map" {
  value       = kubernetes_config_map.conf.metadata[0].name
  description = "The config map holding the rendered Hadoop configuration, for clients that mount it."
}

output "hadoop_conf" {
  value       = local.files
  description = "The rendered configuration files, by file name."
}

output "web_ui" {
  value = {
    namenode        = "http://${local.svc.namenode}:9870"
    resourcemanager = "http://${local.svc.resourcemanager}:8088"
    historyserver   = "http://${local.svc.historyserver}:19888"
  }
  description = "In-cluster URLs of the web UIs."
}
