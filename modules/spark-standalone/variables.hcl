variable "hosts" {
  type        = list(string)
  description = "Host addresses; the first runs the master, the rest run workers."
  validation {
    condition     = length(var.hosts) >= 2
    error_message = "A cluster needs a master host and at least one worker host."
  }
}

variable "connection" {
  type = object({
      type             = optional(string, "local")
      user             = optional(string)
      port             = optional(number, 22)
      private_key_file = optional(string)
      known_hosts_file = optional(string)
  })
  default     = {}
  description = "How to reach every host (the host address is added per host)."
}

variable "install_dir" {
  type        = string
  description = "Directory on each host for the Python venv that carries Spark (the pyspark package)."
}

variable "pyspark_version" {
  type        = string
  default     = "4.3.0"
  description = "The pyspark release to install where Spark is missing."
}

variable "work_dir" {
  type        = string
  description = "Directory on each host for configuration, logs and worker scratch space."
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
  type    = number
  default = 1
}

variable "worker_memory" {
  type    = string
  default = "512m"
}

variable "spark_conf" {
  type        = map(string)
  default     = {}
  description = "Extra spark-defaults.conf properties."
}
