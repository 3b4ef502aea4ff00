output "spark_defaults" {
  value = templatefile("${path.module}/spark-defaults.conf.tpl", {
    master = "spark://node1:7077"
    props  = { "spark.executor.memory" = "2g", "spark.driver.cores" = "1" }
  })
}
output "workers" {
  value = templatefile("${path.module}/workers.tpl", { hosts = ["node2", "node3"] })
}
