locals {
  props = {
    "fs.defaultFS"    = "hdfs://namenode:9000"
    "dfs.replication" = 3
    "yarn.nodemanager.aux-services" = "mapreduce_shuffle"
  }
  xml = <<-EOT
    <?xml version="1.0"?>
    <configuration>
    %{~ for k in sort(keys(local.props)) }
      <property><name>${k}</name><value>${local.props[k]}</value></property>
    %{~ endfor }
    </configuration>
  EOT
}
output "xml" { value = local.xml }
output "kv" { value = join("\n", [for k, v in local.props : "${k} ${v}"]) }
