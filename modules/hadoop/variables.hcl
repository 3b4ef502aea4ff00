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

variable "install" {
  type        = string
  default     = "none"
  description = "How Hadoop gets onto the hosts: \"none\" (it is at hadoop_home already), \"maven\" (its jars resolved from maven_repository into install_dir) or \"tarball\" (a release tarball from tarball_url, checked against tarball_sha512)."
  validation {
    condition     = contains(["none", "maven", "tarball"], var.install)
    error_message = "install must be \"none\", \"maven\" or \"tarball\"."
  }
}

variable "hadoop_home" {
  type        = string
  default     = "/opt/hadoop"
  description = "Where Hadoop is installed on the hosts (install = \"none\"). Hosts where it is not (no bin/hdfs) get their configuration and nothing is started there."
}

variable "hadoop_version" {
  type        = string
  default     = "3.4.2"
  description = "The Hadoop release whose jars install = \"maven\" resolves."
  validation {
    condition     = can(regex("^3\\.[0-9]+\\.[0-9]+$", var.hadoop_version))
    error_message = "hadoop_version must be a Hadoop 3 release such as \"3.4.2\"."
  }
}

variable "maven_repository" {
  type        = string
  default     = "https://repo.maven.apache.org/maven2"
  description = "The Maven repository (Maven Central or a mirror of it) that install = \"maven\" resolves every artifact from."
}

variable "maven_local_repository" {
  type        = string
  default     = null
  description = "Maven's local repository on the hosts (its cache of downloaded artifacts); ~/.m2/repository when null."
}

variable "install_dir" {
  type        = string
  default     = null
  description = "Where install = \"maven\" or \"tarball\" puts Hadoop on each host; work_dir/install when null. Hosts sharing a machine share it."
}

variable "tarball_url" {
  type        = string
  default     = null
  description = "A Hadoop release tarball (hadoop-X.Y.Z.tar.gz) for install = \"tarball\": a mirror of the Apache release."
}

variable "tarball_sha512" {
  type        = string
  default     = null
  description = "The tarball's SHA-512 (128 hex digits); a download that does not match is refused."
}

variable "port_step" {
  type        = number
  default     = 0
  description = "Moves each worker's ports (datanode, nodemanager, localizer, shuffle) by this times the number its host name ends with (node07, 127.0.1.7): set it (e.g. 100) when several workers share one machine."
}

variable "decommission" {
  type        = bool
  default     = true
  description = "Whether a worker removed from the hosts is decommissioned (DataNode: until HDFS holds its blocks elsewhere; NodeManager: drained) before its daemons stop."
}

variable "decommission_timeout" {
  type        = number
  default     = 3600
  description = "Seconds a removed worker may take to decommission; past it the apply fails and the worker keeps running."
}

variable "spark_on_yarn" {
  type        = bool
  default     = false
  description = "Install pyspark on every host and a spark-submit onto this YARN on the resourcemanager's host, so cluster submit runs .py jobs here."
}

variable "pyspark_version" {
  type        = string
  default     = "4.3.0"
  description = "The pyspark release spark_on_yarn installs."
}

variable "spark_install_dir" {
  type        = string
  default     = null
  description = "The venv pyspark goes into on each host; install_dir/pyspark when null."
}

variable "spark_conf" {
  type        = map(string)
  default     = {}
  description = "Spark properties for jobs submitted to YARN (spark.executor.memory, spark.executor.instances, ...)."
}

variable "start_timeout" {
  type        = number
  default     = 300
  description = "Seconds a daemon may take to open its port once started (the history server's include waiting for HDFS to leave safe mode)."
}

variable "daemon_memory" {
  type        = string
  default     = "1g"
  description = "Each daemon's Java heap (-Xmx)."
}

variable "capacity_scheduler" {
  type        = map(string)
  default     = {}
  description = "Extra capacity-scheduler.xml properties (the module makes one queue, default, with all capacity)."
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
    namenode_rpc          = optional(number, 9000)
    namenode_http         = optional(number, 9870)
    datanode              = optional(number, 9866)
    datanode_http         = optional(number, 9864)
    datanode_ipc          = optional(number, 9867)
    resourcemanager       = optional(number, 8032)
    resourcemanager_http  = optional(number, 8088)
    nodemanager           = optional(number, 8041)
    nodemanager_http      = optional(number, 8042)
    nodemanager_localizer = optional(number, 8040)
    shuffle               = optional(number, 13562)
    historyserver         = optional(number, 10020)
    historyserver_http    = optional(number, 19888)
    historyserver_admin   = optional(number, 10033)
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
