# A Hadoop cluster on this one machine: the NameNode, ResourceManager and JobHistoryServer
# on 127.0.1.1 and a DataNode and a NodeManager on each of 127.0.1.2-3 (hosts reached with
# type = "local", no SSH needed), Hadoop's jars resolved from Maven Central on first apply,
# and MapReduce wordcount run on YARN, its counts an output.

variable "workers" {
  type        = number
  default     = 2
  description = "How many worker hosts besides the masters."
}

variable "install_dir" {
  type        = string
  default     = null
  description = "Where Hadoop's jars go; .hadoop next to this file when null."
}

locals {
  install_dir = var.install_dir == null ? abspath("${path.root}/.hadoop") : var.install_dir
  bin         = module.hadoop.commands["127.0.1.1"]
  examples    = "${module.hadoop.hadoop_home}/lib/hadoop-mapreduce-examples-${module.hadoop.version}.jar"
}

module "hadoop" {
  source        = "../../modules/hadoop"
  hosts         = hostlist("127.0.1.[1-${var.workers + 1}]")
  install       = "maven"
  install_dir   = local.install_dir
  work_dir      = abspath("${path.root}/.hadoop-work")
  port_step     = 100
  replication   = min(2, var.workers)
  daemon_memory = "512m"
  yarn_site = {
    "yarn.nodemanager.resource.memory-mb"  = "3072"
    "yarn.scheduler.minimum-allocation-mb" = "256"
  }
  mapred_site = {
    "yarn.app.mapreduce.am.resource.mb"  = "512"
    "yarn.app.mapreduce.am.command-opts" = "-Xmx384m"
    "mapreduce.map.memory.mb"            = "512"
    "mapreduce.reduce.memory.mb"         = "512"
  }
}

# Puts words.txt into HDFS and counts its words on YARN; runs again when it changes.
resource "host_command" "wordcount" {
  command    = <<-EOT
    set -e
    ${local.bin}/hdfs dfs -mkdir -p /examples/in
    ${local.bin}/hdfs dfs -put -f ${abspath("${path.root}/words.txt")} /examples/in/words.txt
    ${local.bin}/hdfs dfs -rm -r -f -skipTrash /examples/out > /dev/null
    ${local.bin}/hadoop jar ${local.examples} wordcount /examples/in /examples/out > /dev/null 2>&1
    ${local.bin}/hdfs dfs -cat '/examples/out/part-r-*' | sort -k2,2nr -k1,1 | head -5
  EOT
  triggers   = filesha256("${path.root}/words.txt")
  depends_on = [module.hadoop]
}

output "wordcount" {
  value = trimspace(host_command.wordcount.stdout)
}

output "web_ui" {
  value = module.hadoop.web_ui
}
