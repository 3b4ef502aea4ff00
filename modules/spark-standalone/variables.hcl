variable "hosts" {
  type        = list(string)
  description = "Host addresses. The master runs on `master` (the first host when null), a worker on every other host."
  validation {
    condition     = length(var.hosts) >= 2
    error_message = "A cluster needs a master host and at least one worker host."
  }
}

variable "master" {
  type        = string
  default     = null
  description = "The master host, say from an inventory's managers; the first of hosts when null."
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
  default     = "pyspark"
  description = "How Spark gets onto hosts that lack it: \"pyspark\" (the package, in a venv), \"tarball\" (a Spark release from tarball_url, checked against tarball_sha512) or \"none\" (already installed at spark_home)."
  validation {
    condition     = contains(["pyspark", "tarball", "none"], var.install)
    error_message = "install is \"pyspark\", \"tarball\" or \"none\"."
  }
}

variable "install_dir" {
  type        = string
  default     = "/opt/meshform/spark"
  description = "Directory on each host that Spark is installed into (the venv, or the unpacked tarball)."
}

variable "pyspark_version" {
  type        = string
  default     = "4.3.0"
  description = "The pyspark release to install where Spark is missing (install = \"pyspark\")."
}

variable "tarball_url" {
  type        = string
  default     = null
  description = "A Spark binary release (.tgz) to install from, such as a self-hosted mirror (install = \"tarball\")."
}

variable "tarball_sha512" {
  type        = string
  default     = null
  description = "The SHA-512 of tarball_url, hex; a download that does not match is refused."
}

variable "spark_home" {
  type        = string
  default     = null
  description = "Where Spark already is (install = \"none\")."
}

variable "install_java" {
  type        = bool
  default     = true
  description = "Install Java 17 with the host's package manager (apt-get, dnf or yum) where neither java nor java_home is found."
}

variable "work_dir" {
  type        = string
  description = "Directory on each host for configuration, logs and worker scratch space; each host uses its own subdirectory, so hosts may share a machine or a file system."
}

variable "java_home" {
  type        = string
  default     = null
  description = "JAVA_HOME on the hosts (Java 17); the java on PATH when null."
}

variable "master_port" {
  type    = number
  default = 7077
}

variable "master_webui_port" {
  type    = number
  default = 8080
}

variable "master_memory" {
  type        = string
  default     = "512m"
  description = "Heap of the master daemon (SPARK_DAEMON_MEMORY on the master host)."
}

variable "worker_port_base" {
  type        = number
  default     = 7078
  description = "Worker i listens on worker_port_base + i (distinct ports, so workers may share a machine)."
}

variable "worker_webui_port_base" {
  type    = number
  default = 8081
}

variable "worker_cores" {
  type        = number
  default     = 1
  description = "Cores each worker offers to applications."
}

variable "worker_memory" {
  type        = string
  default     = "512m"
  description = "Memory each worker offers to applications (also spark.executor.memory)."
}

variable "spark_conf" {
  type        = map(string)
  default     = {}
  description = "Extra spark-defaults.conf properties."
}

variable "spark_env" {
  type        = map(string)
  default     = {}
  description = "Extra spark-env.sh variables, on every host."
}
