output "master_url" {
  value       = local.master_url
  description = "The URL spark-submit takes (spark://NAME-master.NAMESPACE.svc:7077)."
}

output "web_ui" {
  value       = "http://${local.master_host}:8080"
  description = "In-cluster URL of the master's web UI."
}

output "namespace" {
  value       = var.namespace
  description = "The namespace the cluster runs in."
}

output "jobs" {
  value       = { for k, j in kubernetes_job.job : k => j.status }
  description = "How each job of `jobs` went: succeeded, failed, start and completion times."
}
