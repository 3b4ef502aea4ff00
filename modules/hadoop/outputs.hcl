output "default_fs" {
  value       = "hdfs://${local.namenode}:${local.p.namenode_rpc}"
  description = "fs.defaultFS: where HDFS clients connect."
}

output "roles" {
  value       = local.roles
  description = "Each host's roles."
}

output "conf_dirs" {
  value       = local.conf_dir
  description = "HADOOP_CONF_DIR of each host."
}

output "installed" {
  value       = local.installed
  description = "Whether Hadoop was found on each host (daemons run only there)."
}

output "daemons" {
  value       = merge({ for k, d in host_service.daemon : k => d.pid }, { for k, d in host_service.historyserver : k => d.pid })
  description = "Started daemons (role@host) and their process ids."
}

output "hadoop_home" {
  value       = local.hadoop_home
  description = "Where Hadoop is on the hosts."
}

output "version" {
  value       = var.hadoop_version
  description = "The Hadoop release installed with install = \"maven\"."
}

output "commands" {
  value       = local.bin_dir
  description = "Each host's directory of hadoop, hdfs, yarn and mapred commands, set up with its configuration."
}

output "web_ui" {
  value       = local.web_ui
  description = "The namenode's, resourcemanager's and history server's web UIs."
}
