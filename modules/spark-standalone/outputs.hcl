output "master_url" {
  value       = local.master_url
  description = "Where applications connect: spark://MASTER:PORT."
}

output "web_ui_url" {
  value       = "http://${local.master}:${var.master_webui_port}"
  description = "The master's web UI (its /json lists the workers)."
}

output "conf_dir" {
  value       = local.conf_dir
  description = "SPARK_CONF_DIR on every host (spark-defaults.conf is there)."
}

output "spark_home" {
  value       = local.spark_home
  description = "Spark's home on every host."
}

output "hosts" {
  value = {
    master  = local.master
    workers = local.workers
  }
}

output "versions" {
  value = { for h, c in host_command.install : h => trimspace(c.stdout) }
}
