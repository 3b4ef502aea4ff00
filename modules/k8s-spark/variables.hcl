variable "name" {
  type        = string
  default     = "spark"
  description = "Prefix of every object's name (\"spark-master\", ...); a DNS label."
}

variable "namespace" {
  type        = string
  default     = "default"
  description = "The namespace the objects go into."
}

variable "create_namespace" {
  type        = bool
  default     = false
  description = "Create the namespace (and delete it on destroy) rather than use an existing one."
}

variable "image" {
  type        = string
  default     = "apache/spark:3.5.3"
  description = "The Spark image the master, the workers and submitted jobs run; Spark is at spark_home in it."
}

variable "spark_home" {
  type        = string
  default     = "/opt/spark"
  description = "Where Spark is in the image."
}

variable "workers" {
  type        = number
  default     = 2
  description = "Replicas of the worker Deployment."
}

variable "worker_cores" {
  type        = number
  default     = 1
  description = "Cores each worker offers to executors (and requests from Kubernetes)."
}

variable "worker_memory" {
  type        = string
  default     = "1g"
  description = "Memory each worker offers to executors, in Spark's notation (\"1g\", \"512m\")."
  validation {
    condition     = can(regex("^[0-9]+[mg]$", var.worker_memory))
    error_message = "worker_memory is a whole number of megabytes or gigabytes, like \"512m\" or \"2g\"."
  }
}

variable "spark_conf" {
  type        = map(string)
  default     = {}
  description = "Properties for spark-defaults.conf, mounted into every pod."
}

variable "hadoop_config_map" {
  type        = string
  default     = null
  description = "A config map of Hadoop configuration (the k8s-hadoop module's config_map output) mounted as HADOOP_CONF_DIR, so jobs reach HDFS and YARN."
}

variable "jobs" {
  type = map(object({
    application = string
    class       = optional(string)
    args        = optional(list(string), [])
    conf        = optional(map(string), {})
  }))
  default     = {}
  description = "Jobs run once each by apply, as Kubernetes Jobs running spark-submit against the master; application is a path in the image (local:///...) or a URL."
}

variable "rollout_timeout" {
  type        = string
  default     = "10m"
  description = "How long apply waits for the master and the workers to roll out."
}

variable "job_timeout" {
  type        = string
  default     = "30m"
  description = "How long apply waits for each job to finish."
}
