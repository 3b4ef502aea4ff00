variable "hosts" {
  type        = list(string)
  description = "Every host of the cluster."
  validation {
    condition     = length(var.hosts) >= 1
    error_message = "A Hadoop cluster needs at least one host."
  }
}

variable "namenode" {
  type        = string
  default     = null
  description = "The HDFS namenode host; the first of hosts when null."
}

variable "resourcemanager" {
  type        = string
  default     = null
  description = "The YARN resourcemanager host; the namenode when null."
}

variable "historyserver" {
  type        = string
  default     = null
  description = "The MapReduce job history server host; the resourcemanager when null."
}

variable "workers" {
  type        = list(string)
  default     = null
  description = "Hosts running a datanode and a nodemanager; every host but the masters when null (every host, if that leaves none)."
}

variable "connection" {
  type = object({
    type             = optional(string, "local")
    user             = optional(string)
    port             = optional(number, 22)
    ports            = optional(map(number), {})
    private_key_file = optional(string)
    known_hosts_file = optional(string)
    ssh_config_file  = optional(string)
  })
  default     = {}
  description = "How to reach every host (the host address is added per host); ports maps a host to its SSH port where it is not port."
}

variable "hadoop_home" {
  type        = string
  default     = "/opt/hadoop"
  description = "Where Hadoop is installed on the hosts. Hosts where it is not (no bin/hdfs) get their configuration and nothing is started there."
}

variable "java_home" {
  type        = string
  default     = null
  description = "JAVA_HOME for the daemons; the java on PATH when null."
}

variable "work_dir" {
  type        = string
  description = "Directory on each host for configuration (HADOOP_CONF_DIR), HDFS data and logs; each host uses its own subdirectory."
}

variable "replication" {
  type        = number
  default     = null
  description = "dfs.replication; the number of datanodes up to 3 when null."
}

variable "ports" {
  type = object({
    namenode_rpc         = optional(number, 9000)
    namenode_http        = optional(number, 9870)
    datanode             = optional(number, 9866)
    datanode_http        = optional(number, 9864)
    datanode_ipc         = optional(number, 9867)
    resourcemanager      = optional(number, 8032)
    resourcemanager_http = optional(number, 8088)
    nodemanager          = optional(number, 8040)
    nodemanager_http     = optional(number, 8042)
    historyserver        = optional(number, 10020)
    historyserver_http   = optional(number, 19888)
  })
  default     = {}
  description = "Daemon ports. Each daemon binds its own host's address, so hosts may share a machine."
}

variable "core_site" {
  type        = map(string)
  default     = {}
  description = "Extra core-site.xml properties (they win over the module's)."
}

variable "hdfs_site" {
  type        = map(string)
  default     = {}
  description = "Extra hdfs-site.xml properties."
}

variable "yarn_site" {
  type        = map(string)
  default     = {}
  description = "Extra yarn-site.xml properties."
}

variable "mapred_site" {
  type        = map(string)
  default     = {}
  description = "Extra mapred-site.xml properties."
}
