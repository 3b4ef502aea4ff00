variable "name" {
  type        = string
  default     = "hadoop"
  description = "Prefix of every object's name (\"hadoop-namenode\", ...); a DNS label."
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
  default     = "apache/hadoop:3.4.1"
  description = "The Hadoop image every daemon runs; HADOOP_HOME is /opt/hadoop in it, as in the Apache Hadoop image."
}

variable "datanodes" {
  type        = number
  default     = 3
  description = "Replicas of the datanode StatefulSet."
  validation {
    condition     = var.datanodes >= 1
    error_message = "datanodes is at least 1."
  }
}

variable "nodemanagers" {
  type        = number
  default     = 2
  description = "Replicas of the nodemanager Deployment."
}

variable "storage_class" {
  type        = string
  default     = null
  description = "Storage class of the namenode's and datanodes' volume claims; the cluster's default when null."
}

variable "namenode_storage" {
  type        = string
  default     = "10Gi"
  description = "Size of the namenode's metadata volume."
}

variable "datanode_storage" {
  type        = string
  default     = "50Gi"
  description = "Size of each datanode's block volume."
}

variable "resources" {
  type = map(object({
    cpu    = optional(string, "500m")
    memory = optional(string, "1Gi")
  }))
  default     = {}
  description = "Requests per daemon (namenode, datanode, resourcemanager, nodemanager, historyserver); unset daemons ask for 500m and 1Gi."
}

variable "core_site" {
  type        = map(string)
  default     = {}
  description = "Properties added to or overriding core-site.xml."
}

variable "hdfs_site" {
  type        = map(string)
  default     = {}
  description = "Properties added to or overriding hdfs-site.xml."
}

variable "yarn_site" {
  type        = map(string)
  default     = {}
  description = "Properties added to or overriding yarn-site.xml."
}

variable "mapred_site" {
  type        = map(string)
  default     = {}
  description = "Properties added to or overriding mapred-site.xml."
}

variable "rollout_timeout" {
  type        = string
  default     = "10m"
  description = "How long apply waits for each StatefulSet and Deployment to roll out."
}
