# The module's logic with the Kubernetes provider mocked: no API server is reached; the
# objects are checked as planned, and jobs report a made-up status once applied.

mock_provider "kubernetes" {
  mock_resource "kubernetes_job" {
    defaults = {
      status = "Complete"
    }
  }
}

run "defaults" {
  command = plan
  assert {
    condition     = output.master_url == "spark://spark-master.default.svc:7077"
    error_message = "master_url: ${output.master_url}"
  }
  assert {
    condition     = kubernetes_manifest.workers.manifest.spec.replicas == 2 && length(kubernetes_namespace.this) == 0
    error_message = "two workers, in an existing namespace"
  }
  assert {
    condition     = strcontains(kubernetes_config_map.conf.data["spark-defaults.conf"], "spark.master spark://spark-master.default.svc:7077")
    error_message = "spark-defaults.conf: ${kubernetes_config_map.conf.data["spark-defaults.conf"]}"
  }
}

run "sized_workers_with_hadoop" {
  command = plan
  variables {
    name              = "etl"
    namespace         = "data"
    create_namespace  = true
    workers           = 5
    worker_cores      = 2
    worker_memory     = "4g"
    hadoop_config_map = "hadoop-conf"
  }
  assert {
    condition     = length(kubernetes_namespace.this) == 1 && kubernetes_manifest.workers.manifest.spec.replicas == 5
    error_message = "namespace and replicas"
  }
  assert {
    condition     = kubernetes_manifest.workers.manifest.spec.template.spec.containers[0].resources.requests == { cpu = "2", memory = "4Gi" }
    error_message = "worker requests: ${jsonencode(kubernetes_manifest.workers.manifest.spec.template.spec.containers[0].resources.requests)}"
  }
  assert {
    condition     = length(kubernetes_manifest.workers.manifest.spec.template.spec.volumes) == 2
    error_message = "the Hadoop configuration is mounted"
  }
}

run "jobs" {
  variables {
    jobs = {
      pi = {
        application = "local:///opt/spark/examples/jars/spark-examples.jar"
        class       = "org.apache.spark.examples.SparkPi"
        args        = ["10"]
      }
    }
  }
  assert {
    condition     = output.jobs == { pi = "Complete" }
    error_message = "jobs: ${jsonencode(output.jobs)}"
  }
  assert {
    condition     = contains(kubernetes_job.job["pi"].spec.template.spec.containers[0].command, "org.apache.spark.examples.SparkPi")
    error_message = "the job runs spark-submit with its class"
  }
}
