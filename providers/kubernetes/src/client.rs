//! The provider's settings (the `provider "kubernetes"` block), the client built from
//! them on first use, where each kind lives in the API, and how API errors read.

use std::path::PathBuf;
use std::sync::Mutex;

use kube::api::{Api, ApiResource, DynamicObject};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use meshform_engine::eval::Value;
use meshform_engine::provider::ProviderError;

/// What a `provider "kubernetes"` block says.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub config_path: Option<String>,
    pub config_context: Option<String>,
}

impl Settings {
    pub fn from_value(v: &Value) -> Settings {
        let s = |n: &str| v.get_attr(n).and_then(Value::as_str).map(str::to_string);
        Settings { config_path: s("config_path"), config_context: s("config_context") }
    }
}

/// The client, made the first time a call needs it.
#[derive(Default)]
pub struct Lazy {
    settings: Mutex<Settings>,
    client: tokio::sync::OnceCell<Result<Client, String>>,
}

impl Lazy {
    pub fn configure(&self, s: Settings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }

    pub async fn get(&self) -> Result<Client, ProviderError> {
        let s = self.settings.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let made = self.client.get_or_init(|| build(s)).await;
        made.clone().map_err(|m| ProviderError { message: m, code: Some("KubeconfigError".into()) })
    }
}

/// The kubeconfig to read: `config_path`, else `KUBECONFIG` (its first file), else
/// `~/.kube/config`; `None` when none of them exists.
fn kubeconfig_path(s: &Settings) -> Option<PathBuf> {
    if let Some(p) = &s.config_path {
        return Some(expand_home(p));
    }
    if let Ok(list) = std::env::var("KUBECONFIG")
        && let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty())
    {
        return Some(first);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    Some(home.join(".kube/config")).filter(|p| p.exists())
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

async fn build(s: Settings) -> Result<Client, String> {
    let config = match kubeconfig_path(&s) {
        Some(path) => {
            let kc =
                Kubeconfig::read_from(&path).map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
            let options = KubeConfigOptions { context: s.config_context.clone(), ..KubeConfigOptions::default() };
            Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?
        }
        None if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => {
            Config::incluster().map_err(|e| format!("in-cluster configuration: {e}"))?
        }
        None => {
            return Err("no kubeconfig: set config_path in the provider block, KUBECONFIG, or create ~/.kube/config"
                .to_string());
        }
    };
    Client::try_from(config).map_err(|e| format!("cannot make a Kubernetes client: {e}"))
}

/// Where a kind lives: its API resource and whether it is namespaced. Common kinds are
/// known; others are asked of the server's discovery API.
pub async fn resource_of(client: &Client, api_version: &str, kind: &str) -> Result<(ApiResource, bool), ProviderError> {
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    };
    let known = KINDS.iter().find(|(g, k, _, _)| *g == group && *k == kind);
    if let Some((_, _, plural, namespaced)) = known {
        let ar = ApiResource {
            group,
            version,
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
        };
        return Ok((ar, *namespaced));
    }
    let gvk = kube::api::GroupVersionKind::gvk(&group, &version, kind);
    let (ar, caps) = kube::discovery::pinned_kind(client, &gvk).await.map_err(|e| kube_error("discovery", e))?;
    Ok((ar, caps.scope == kube::discovery::Scope::Namespaced))
}

/// (group, kind, plural, namespaced) of the kinds the modules use.
const KINDS: &[(&str, &str, &str, bool)] = &[
    ("", "Namespace", "namespaces", false),
    ("", "ConfigMap", "configmaps", true),
    ("", "Secret", "secrets", true),
    ("", "Service", "services", true),
    ("", "ServiceAccount", "serviceaccounts", true),
    ("", "PersistentVolumeClaim", "persistentvolumeclaims", true),
    ("", "Pod", "pods", true),
    ("apps", "Deployment", "deployments", true),
    ("apps", "StatefulSet", "statefulsets", true),
    ("apps", "DaemonSet", "daemonsets", true),
    ("batch", "Job", "jobs", true),
    ("rbac.authorization.k8s.io", "Role", "roles", true),
    ("rbac.authorization.k8s.io", "RoleBinding", "rolebindings", true),
    ("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", false),
];

/// The API of one object's kind, in its namespace where it has one.
pub fn api(client: &Client, ar: &ApiResource, namespaced: bool, namespace: &str) -> Api<DynamicObject> {
    if namespaced { Api::namespaced_with(client.clone(), namespace, ar) } else { Api::all_with(client.clone(), ar) }
}

/// An API error as a provider error, with the server's reason as the code.
pub fn kube_error(op: &str, e: kube::Error) -> ProviderError {
    match e {
        kube::Error::Api(status) => {
            let reason = if status.reason.is_empty() { format!("HTTP {}", status.code) } else { status.reason.clone() };
            ProviderError { message: format!("{op}: {}", status.message), code: Some(reason) }
        }
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(&other);
            while let Some(s) = source {
                let t = s.to_string();
                if !text.contains(&t) {
                    text = format!("{text}: {t}");
                }
                source = s.source();
            }
            ProviderError {
                message: format!("{op}: the Kubernetes API server could not be reached: {text}"),
                code: Some("Unreachable".into()),
            }
        }
    }
}

pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
