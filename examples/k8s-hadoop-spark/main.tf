# Hadoop (HDFS and YARN) and a Spark standalone cluster on Kubernetes, in one namespace,
# with Spark reading the Hadoop configuration, and one job run by apply.

variable "kubeconfig" {
  type        = string
  default     = null
  description = "The kubeconfig to use; KUBECONFIG, else ~/.kube/config, when null."
}

variable "context" {
  type        = string
  default     = null
  description = "The kubeconfig context; its current context when null."
}

variable "namespace" {
  type    = string
  default = "data"
}

variable "datanodes" {
  type    = number
  default = 3
}

variable "spark_workers" {
  type    = number
  default = 2
}

provider "kubernetes" {
  config_path    = var.kubeconfig
  config_context = var.context
}

module "hadoop" {
  source           = "../../modules/k8s-hadoop"
  namespace        = var.namespace
  create_namespace = true
  datanodes        = var.datanodes
  nodemanagers     = 2
}

module "spark" {
  source            = "../../modules/k8s-spark"
  namespace         = module.hadoop.namespace
  workers           = var.spark_workers
  hadoop_config_map = module.hadoop.config_map
  jobs = {
    pi = {
      application = "local:///opt/spark/examples/src/main/python/pi.py"
      args        = ["20"]
    }
  }
}

output "fs_default_fs" {
  value = module.hadoop.fs_default_fs
}

output "spark_master_url" {
  value = module.spark.master_url
}

output "pi_job" {
  value = module.spark.jobs["pi"]
}
