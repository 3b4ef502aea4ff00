# A Spark standalone cluster on this one machine: a master on 127.0.1.1 and two workers
# on 127.0.1.2-3 (hosts reached with type = "local", no SSH needed), Spark installed from
# the pyspark package on first apply, and a job submitted whose result is an output.

variable "workers" {
  type        = number
  default     = 2
  description = "How many worker hosts besides the master."
}

variable "install_dir" {
  type        = string
  default     = null
  description = "Where Spark gets installed (a venv); .spark next to this file when null."
}

locals {
  install_dir = var.install_dir == null ? abspath("${path.root}/.spark") : var.install_dir
}

module "spark" {
  source      = "../../modules/spark-standalone"
  hosts       = hostlist("127.0.1.[1-${var.workers + 1}]")
  install_dir = local.install_dir
  work_dir    = abspath("${path.root}/.spark-work")
}

# Estimates pi on the cluster; runs again when the job changes.
resource "host_command" "pi" {
  command     = "${module.spark.spark_home}/bin/spark-submit --master ${module.spark.master_url} ${abspath("${path.root}/pi.py")} 20 2>/dev/null"
  environment = { PYSPARK_PYTHON = module.spark.python, SPARK_CONF_DIR = module.spark.conf_dir }
  triggers    = filesha256("${path.root}/pi.py")
  depends_on  = [module.spark]
}

output "pi" {
  value = trimspace(host_command.pi.stdout)
}

output "web_ui" {
  value = module.spark.web_ui_url
}

output "workers" {
  value = hostlist_compact(module.spark.hosts.workers)
}
