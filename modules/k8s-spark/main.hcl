# A Spark standalone cluster on Kubernetes: the master and the workers as Deployments, a
# Service for the master, spark-defaults.conf in a ConfigMap, and jobs submitted as
# Kubernetes Jobs running spark-submit. The master carries the annotations that
# `meshform cluster submit` reads to submit to this cluster.

locals {
  master_host = "${var.name}-master.${var.namespace}.svc"
  master_url  = "spark://${local.master_host}:7077"
  conf_dir    = "/etc/spark/conf"
  spark_class = "${var.spark_home}/bin/spark-class"
  labels = {
    for c in ["master", "worker", "job"] : c => {
      "app.kubernetes.io/name"       = "spark"
      "app.kubernetes.io/instance"   = var.name
      "app.kubernetes.io/component"  = c
      "app.kubernetes.io/managed-by" = "meshform"
    }
  }
  selector = {
    for c, l in local.labels : c => {
      "app.kubernetes.io/instance"  = var.name
      "app.kubernetes.io/component" = c
    }
  }
  defaults = merge({
    "spark.master"                 = local.master_url
    "spark.ui.showConsoleProgress" = "false"
  }, var.spark_conf)
  # Kubernetes memory for a worker: Spark's "1g" is 1Gi.
  worker_memory = "${upper(var.worker_memory)}i"
  files           = { "spark-defaults.conf" = spark_conf(local.defaults) }
  pod_annotations = { "meshform.io/config-sha256" = sha256(jsonencode(local.files)) }
  volumes = concat(
    [{ name = "conf", configMap = { name = "${var.name}-conf" } }],
    var.hadoop_config_map == null ? [] : [{ name = "hadoop-conf", configMap = { name = var.hadoop_config_map } }],
  )
  mounts = concat(
    [{ name = "conf", mountPath = local.conf_dir, readOnly = true }],
    var.hadoop_config_map == null ? [] : [{ name = "hadoop-conf", mountPath = "/etc/hadoop/conf", readOnly = true }],
  )
  env = concat(
    [
      { name = "SPARK_CONF_DIR", value = local.conf_dir },
      { name = "SPARK_NO_DAEMONIZE", value = "true" },
    ],
    var.hadoop_config_map == null ? [] : [{ name = "HADOOP_CONF_DIR", value = "/etc/hadoop/conf" }],
  )
}

resource "kubernetes_namespace" "this" {
  count = var.create_namespace ? 1 : 0
  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/managed-by" = "meshform" }
  }
}

resource "kubernetes_config_map" "conf" {
  metadata {
    name      = "${var.name}-conf"
    namespace = var.namespace
    labels    = local.labels.master
  }
  data       = local.files
  depends_on = [kubernetes_namespace.this]
}

resource "kubernetes_manifest" "master_service" {
  manifest = {
    apiVersion = "v1"
    kind       = "Service"
    metadata = {
      name      = "${var.name}-master"
      namespace = var.namespace
      labels    = local.labels.master
    }
    spec = {
      selector = local.selector.master
      ports = [
        { name = "spark", port = 7077, targetPort = 7077 },
        { name = "http", port = 8080, targetPort = 8080 },
      ]
    }
  }
  depends_on = [kubernetes_namespace.this]
}

resource "kubernetes_manifest" "master" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata = {
      name      = "${var.name}-master"
      namespace = var.namespace
      labels    = local.labels.master
      annotations = {
        "meshform.io/role"       = "spark-master"
        "meshform.io/master-url" = local.master_url
        "meshform.io/spark-home" = var.spark_home
      }
    }
    spec = {
      replicas = 1
      selector = { matchLabels = local.selector.master }
      template = {
        metadata = { labels = local.labels.master, annotations = local.pod_annotations }
        spec = {
          containers = [{
            name           = "master"
            image          = var.image
            command        = [local.spark_class, "org.apache.spark.deploy.master.Master", "--host", "0.0.0.0", "--port", "7077", "--webui-port", "8080"]
            env            = local.env
            ports          = [{ name = "spark", containerPort = 7077 }, { name = "http", containerPort = 8080 }]
            resources      = { requests = { cpu = "500m", memory = "1Gi" } }
            volumeMounts   = local.mounts
            readinessProbe = { tcpSocket = { port = 7077 }, periodSeconds = 5 }
          }]
          volumes = local.volumes
        }
      }
    }
  }
  wait {
    rollout = true
  }
  timeouts {
    create = var.rollout_timeout
  }
  depends_on = [kubernetes_config_map.conf, kubernetes_manifest.master_service]
}

resource "kubernetes_manifest" "workers" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata = {
      name      = "${var.name}-worker"
      namespace = var.namespace
      labels    = local.labels.worker
    }
    spec = {
      replicas = var.workers
      selector = { matchLabels = local.selector.worker }
      template = {
        metadata = { labels = local.labels.worker, annotations = local.pod_annotations }
        spec = {
          containers = [{
            name  = "worker"
            image = var.image
            command = [
              local.spark_class, "org.apache.spark.deploy.worker.Worker", local.master_url,
              "--cores", tostring(var.worker_cores), "--memory", var.worker_memory, "--webui-port", "8081",
            ]
            env          = local.env
            ports        = [{ name = "http", containerPort = 8081 }]
            resources    = { requests = { cpu = tostring(var.worker_cores), memory = local.worker_memory } }
            volumeMounts = local.mounts
          }]
          volumes = local.volumes
        }
      }
    }
  }
  wait {
    rollout = true
  }
  timeouts {
    create = var.rollout_timeout
  }
  depends_on = [kubernetes_manifest.master]
}

resource "kubernetes_job" "job" {
  for_each = var.jobs
  metadata {
    name      = "${var.name}-job-${each.key}"
    namespace = var.namespace
    labels    = local.labels.job
  }
  spec = {
    backoffLimit = 0
    template = {
      metadata = { labels = local.labels.job }
      spec = {
        restartPolicy = "Never"
        containers = [{
          name  = "spark-submit"
          image = var.image
          command = concat(
            # Executors reach the driver at its pod's address.
            ["${var.spark_home}/bin/spark-submit", "--master", local.master_url, "--deploy-mode", "client", "--conf", "spark.driver.host=$(POD_IP)"],
            each.value.class == null ? [] : ["--class", each.value.class],
            flatten([for k, v in each.value.conf : ["--conf", "${k}=${v}"]]),
            [each.value.application],
            each.value.args,
          )
          env = concat(local.env, [{ name = "POD_IP", valueFrom = { fieldRef = { fieldPath = "status.podIP" } } }])
          volumeMounts = local.mounts
        }]
        volumes = local.volumes
      }
    }
  }
  timeouts {
    create = var.job_timeout
  }
  depends_on = [kubernetes_manifest.workers]
}
