output "master_url" {
  value       = local.master_url
  description = "Where applications connect: spark://MASTER:PORT."
}

output "web_ui_url" {
  value       = local.web_ui_url
  description = "The master's web UI (its /json lists the workers)."
}

output "conf_dir" {
  value       = local.conf_dir[local.master]
  description = "SPARK_CONF_DIR on the master host (spark-defaults.conf and spark-env.sh are there)."
}

output "spark_home" {
  value       = local.spark_home
  description = "Spark's home on every host."
}

output "python" {
  value       = local.python
  description = "The Python that runs PySpark jobs on the hosts."
}

output "hosts" {
  value = {
    master  = local.master
    workers = local.workers
  }
}

output "versions" {
  value       = { for h, c in host_command.install : h => trimspace(c.stdout) }
  description = "The Spark version found on each host."
}
