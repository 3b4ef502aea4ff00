//! `meshform cluster submit` on a Spark cluster running in Kubernetes (the k8s-spark
//! module): the job file goes into a ConfigMap, a Job runs spark-submit against the
//! master with the master pod's configuration mounted, its log is printed when it ends,
//! and both objects are deleted again.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams};
use meshform_engine::provider::{ProviderError, wait_for};
use serde_json::{Value as J, json};

use crate::KubernetesProvider;
use crate::client::{api, is_not_found, kube_error, resource_of};

/// Where the job file is mounted in the submitting pod.
const JOB_DIR: &str = "/opt/meshform/job";

/// A job to run on a cluster, and what the cluster's master says about where and how.
pub struct Submission {
    /// The cluster's name: the prefix of the objects made for the job.
    pub cluster: String,
    /// The master Deployment as recorded (its manifest): namespace, image, mounts, env.
    pub master: J,
    pub master_url: String,
    pub spark_home: String,
    pub file_name: String,
    pub content: Vec<u8>,
    pub class: Option<String>,
    pub args: Vec<String>,
    pub timeout: Duration,
}

/// How a submitted job ended.
pub struct Finished {
    pub job: String,
    pub namespace: String,
    pub succeeded: bool,
    /// The driver's output (the pod's log), empty when no pod was found.
    pub log: String,
}

/// A name the API accepts: lower case, digits and '-', at most 63 characters.
fn object_name(cluster: &str, stamp: u128) -> String {
    let base: String = cluster
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    let suffix = format!("-submit-{:x}", stamp % 0xffff_ffff_ffff);
    let keep = 63 - suffix.len();
    format!("{}{suffix}", &base[..base.len().min(keep)]).trim_start_matches('-').to_string()
}

/// A ConfigMap key for the file: letters, digits, '-', '_' and '.'.
fn file_key(name: &str) -> String {
    let k: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if k.is_empty() || k == "." || k == ".." { "job".to_string() } else { k }
}

/// The ConfigMap and the Job for a submission.
pub fn objects(s: &Submission, name: &str) -> Result<(J, J), ProviderError> {
    use base64::Engine as _;
    let namespace = s.master.pointer("/metadata/namespace").and_then(J::as_str).unwrap_or("default");
    let pod = s.master.pointer("/spec/template/spec").cloned().unwrap_or(json!({}));
    let container = pod.pointer("/containers/0").cloned().unwrap_or(json!({}));
    let Some(image) = container.get("image").and_then(J::as_str) else {
        return Err(ProviderError::new("the Spark master's manifest names no container image"));
    };
    let key = file_key(&s.file_name);
    let labels = json!({"app.kubernetes.io/managed-by": "meshform", "meshform.io/submission": name});
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "binaryData": {key.clone(): base64::engine::general_purpose::STANDARD.encode(&s.content)},
    });
    let mut command = vec![
        format!("{}/bin/spark-submit", s.spark_home),
        "--master".into(),
        s.master_url.clone(),
        "--deploy-mode".into(),
        "client".into(),
        // Executors reach the driver at its pod's address.
        "--conf".into(),
        "spark.driver.host=$(POD_IP)".into(),
    ];
    if let Some(class) = &s.class {
        command.extend(["--class".into(), class.clone()]);
    }
    command.push(format!("{JOB_DIR}/{key}"));
    command.extend(s.args.iter().map(|a| a.replace('$', "$$")));
    let mut env = container.get("env").and_then(J::as_array).cloned().unwrap_or_default();
    env.push(json!({"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}));
    let mut mounts = container.get("volumeMounts").and_then(J::as_array).cloned().unwrap_or_default();
    mounts.push(json!({"name": "meshform-job", "mountPath": JOB_DIR, "readOnly": true}));
    let mut volumes = pod.get("volumes").and_then(J::as_array).cloned().unwrap_or_default();
    volumes.push(json!({"name": "meshform-job", "configMap": {"name": name}}));
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            // Cleaned up by the cluster should this command be interrupted.
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "spark-submit", "image": image, "command": command,
                        "env": env, "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            },
        },
    });
    for o in [&config_map, &job] {
        crate::validate::check(o).map_err(|e| ProviderError::new(format!("the submission's objects: {e}")))?;
    }
    Ok((config_map, job))
}

impl KubernetesProvider {
    /// Runs a job on the cluster and waits for it to end.
    pub async fn submit(&self, s: &Submission) -> Result<Finished, ProviderError> {
        let client = self.client.get().await?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let name = object_name(&s.cluster, stamp);
        let (config_map, job) = objects(s, &name)?;
        let namespace = job.pointer("/metadata/namespace").and_then(J::as_str).unwrap_or("default").to_string();
        let params = PatchParams::apply("meshform");
        let (cm_ar, _) = resource_of(&client, "v1", "ConfigMap").await?;
        let (job_ar, _) = resource_of(&client, "batch/v1", "Job").await?;
        let cms = api(&client, &cm_ar, true, &namespace);
        let jobs = api(&client, &job_ar, true, &namespace);
        cms.patch(&name, &params, &Patch::Apply(&config_map))
            .await
            .map_err(|e| kube_error("create the job's config map", e))?;
        let outcome = async {
            jobs.patch(&name, &params, &Patch::Apply(&job)).await.map_err(|e| kube_error("create the job", e))?;
            eprintln!("Submitted job {name} in namespace {namespace}; waiting for it to end.");
            let succeeded = wait_for(&format!("job {name} to end"), s.timeout, || async {
                let live = jobs.get(&name).await.map_err(|e| kube_error("read the job", e))?;
                let conditions = live.data.pointer("/status/conditions").and_then(J::as_array).cloned();
                let has = |kind: &str| {
                    conditions.iter().flatten().any(|c| {
                        c.get("type").and_then(J::as_str) == Some(kind)
                            && c.get("status").and_then(J::as_str) == Some("True")
                    })
                };
                Ok(if has("Complete") {
                    Some(true)
                } else if has("Failed") {
                    Some(false)
                } else {
                    None
                })
            })
            .await?;
            let log = driver_log(&client, &namespace, &name).await?;
            Ok::<_, ProviderError>(Finished { job: name.clone(), namespace: namespace.clone(), succeeded, log })
        }
        .await;
        // The objects go whether or not the job ran; a failure to delete is reported only
        // when nothing else went wrong.
        let background = DeleteParams::background();
        let mut cleanup = Ok(());
        for (what, a) in [("job", &jobs), ("config map", &cms)] {
            match a.delete(&name, &background).await {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => cleanup = Err(kube_error(&format!("delete the {what} {name}"), e)),
            }
        }
        let finished = outcome?;
        cleanup?;
        Ok(finished)
    }
}

/// The log of the job's (last) pod.
async fn driver_log(client: &kube::Client, namespace: &str, job: &str) -> Result<String, ProviderError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let list = pods
        .list(&ListParams::default().labels(&format!("job-name={job}")))
        .await
        .map_err(|e| kube_error("list the job's pods", e))?;
    let Some(pod) = list.items.iter().max_by_key(|p| p.metadata.creation_timestamp.clone()) else {
        return Ok(String::new());
    };
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    pods.logs(&pod_name, &LogParams::default())
        .await
        .map_err(|e| kube_error(&format!("read the log of pod {pod_name}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_dns_labels_of_at_most_63_characters() {
        let n = object_name("Module.Spark[\"a\"]", 0x1234);
        assert_eq!(n, "module-spark--a-submit-1234");
        let long = object_name(&"x".repeat(100), 1);
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("-submit-1"));
    }

    #[test]
    fn file_keys_keep_what_config_maps_allow() {
        assert_eq!(file_key("pi.py"), "pi.py");
        assert_eq!(file_key("my job.py"), "my_job.py");
        assert_eq!(file_key(".."), "job");
    }

    #[test]
    fn the_job_runs_spark_submit_with_the_masters_mounts_and_the_file() {
        let master = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "spark-master", "namespace": "data"},
            "spec": {"template": {"spec": {
                "containers": [{"name": "master", "image": "apache/spark:3.5.3",
                    "env": [{"name": "SPARK_CONF_DIR", "value": "/etc/spark/conf"}],
                    "volumeMounts": [{"name": "conf", "mountPath": "/etc/spark/conf"}]}],
                "volumes": [{"name": "conf", "configMap": {"name": "spark-conf"}}]
            }}}
        });
        let s = Submission {
            cluster: "spark".into(),
            master,
            master_url: "spark://spark-master.data.svc:7077".into(),
            spark_home: "/opt/spark".into(),
            file_name: "pi.py".into(),
            content: b"print(1)".to_vec(),
            class: None,
            args: vec!["10".into(), "$HOME".into()],
            timeout: Duration::from_secs(60),
        };
        let (cm, job) = objects(&s, "spark-submit-1").expect("objects");
        assert_eq!(cm["binaryData"]["pi.py"], "cHJpbnQoMSk=");
        assert_eq!(job["metadata"]["namespace"], "data");
        let c = &job["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], "apache/spark:3.5.3");
        let command: Vec<&str> = c["command"].as_array().expect("command").iter().filter_map(J::as_str).collect();
        assert_eq!(&command[..3], ["/opt/spark/bin/spark-submit", "--master", "spark://spark-master.data.svc:7077"]);
        // Kubernetes expands $(VAR) in commands: an argument's own '$' is escaped.
        assert_eq!(&command[command.len() - 3..], ["/opt/meshform/job/pi.py", "10", "$$HOME"]);
        assert_eq!(c["volumeMounts"][1]["mountPath"], "/opt/meshform/job");
        assert_eq!(job["spec"]["template"]["spec"]["volumes"][1]["configMap"]["name"], "spark-submit-1");
    }
}
