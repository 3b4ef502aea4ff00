//! The provider's settings (the `provider "aws"` block), the EC2 client built from them
//! on first use, and how SDK errors become provider errors.

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use meshform_engine::eval::Value;
use meshform_engine::provider::ProviderError;

use crate::{INTENT_TAG, get, get_i64, get_str};
pub use meshform_engine::provider::{timeout, wait_for};

/// What a `provider "aws"` block says.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub ec2_endpoint: Option<String>,
    pub default_tags: BTreeMap<String, String>,
    pub max_retries: Option<u32>,
}

impl Settings {
    pub fn from_value(v: &Value) -> Result<Settings, ProviderError> {
        if v.is_null() {
            return Ok(Settings::default());
        }
        let endpoints = get(v, "endpoints");
        let default_tags = get(&get(v, "default_tags"), "tags");
        let max_retries = match get_i64(v, "max_retries") {
            Some(n) if !(0..=100).contains(&n) => {
                return Err(ProviderError::new(format!("max_retries must be between 0 and 100, not {n}")));
            }
            n => n.map(|n| n as u32),
        };
        let access_key = get_str(v, "access_key");
        let secret_key = get_str(v, "secret_key");
        if access_key.is_some() != secret_key.is_some() {
            return Err(ProviderError::new("access_key and secret_key are given together or not at all"));
        }
        Ok(Settings {
            region: get_str(v, "region"),
            profile: get_str(v, "profile"),
            access_key,
            secret_key,
            token: get_str(v, "token"),
            ec2_endpoint: get_str(&endpoints, "ec2"),
            default_tags: string_map(&default_tags),
            max_retries,
        })
    }
}

pub(crate) fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_map()
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default()
}

/// The client, made from the settings the first time a call needs it, so a run that
/// has no AWS resources never touches the credential chain.
#[derive(Default)]
pub struct Lazy {
    settings: Mutex<Settings>,
    client: tokio::sync::OnceCell<Client>,
}

impl Lazy {
    pub fn configure(&self, s: Settings) -> Result<(), ProviderError> {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = s;
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub async fn get(&self) -> Result<Ec2, ProviderError> {
        let s = self.settings();
        let client = self.client.get_or_init(|| build(s.clone())).await.clone();
        Ok(Ec2 { client, default_tags: s.default_tags })
    }
}

async fn build(s: Settings) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let region =
        s.region.or_else(|| std::env::var("AWS_REGION").ok()).or_else(|| std::env::var("AWS_DEFAULT_REGION").ok());
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r));
    }
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p);
    }
    if let (Some(a), Some(k)) = (&s.access_key, &s.secret_key) {
        loader = loader.credentials_provider(aws_sdk_ec2::config::Credentials::new(
            a,
            k,
            s.token.clone(),
            None,
            "provider block",
        ));
    }
    let shared = loader.load().await;
    let mut conf = aws_sdk_ec2::config::Builder::from(&shared);
    if shared.region().is_none() {
        conf = conf.region(aws_config::Region::new("us-east-1"));
    }
    if let Some(ep) = &s.ec2_endpoint {
        conf = conf.endpoint_url(ep);
    }
    // Standard mode backs off exponentially, with jitter, on throttling and transient errors.
    let attempts = s.max_retries.map_or(4, |n| n + 1);
    conf = conf.retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(attempts));
    Client::from_conf(conf.build())
}

/// A configured client and what every create adds to its tags.
#[derive(Clone)]
pub struct Ec2 {
    pub client: Client,
    pub default_tags: BTreeMap<String, String>,
}

impl Ec2 {
    /// The tags a create carries: default tags, the resource's own, and the intent tag.
    pub fn tag_spec(&self, kind: ResourceType, tags: &BTreeMap<String, String>, intent: &str) -> TagSpecification {
        let mut all = self.default_tags.clone();
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if !intent.is_empty() {
            all.insert(INTENT_TAG.to_string(), intent.to_string());
        }
        let mut spec = TagSpecification::builder().resource_type(kind);
        for (k, v) in all {
            spec = spec.tags(Tag::builder().key(k).value(v).build());
        }
        spec.build()
    }

    /// `tags` and `tags_all` of an object read back. `tags_all` is every tag; `tags`
    /// leaves out those that come from `default_tags` only, as Terraform does.
    pub fn tag_attrs(&self, read: &BTreeMap<String, String>, base: &Value) -> (Value, Value) {
        let own = string_map(&get(base, "tags"));
        let tags: BTreeMap<String, String> = read
            .iter()
            .filter(|(k, _)| own.contains_key(*k) || !self.default_tags.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let tags = if tags.is_empty() && get(base, "tags").is_null() { Value::Null } else { map_value(&tags) };
        (tags, map_value(read))
    }

    /// Brings an object's tags from `old` to `new` (the full sets, default tags included).
    pub async fn retag(
        &self,
        id: &str,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) -> Result<(), ProviderError> {
        let removed: Vec<Tag> =
            old.keys().filter(|k| !new.contains_key(*k)).map(|k| Tag::builder().key(k).build()).collect();
        if !removed.is_empty() {
            sent("DeleteTags", self.client.delete_tags().resources(id).set_tags(Some(removed)).send()).await?;
        }
        let changed: Vec<Tag> = new
            .iter()
            .filter(|(k, v)| old.get(*k) != Some(*v))
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        if !changed.is_empty() {
            sent("CreateTags", self.client.create_tags().resources(id).set_tags(Some(changed)).send()).await?;
        }
        Ok(())
    }
}

/// Tags as a map, without meshform's own.
pub fn tags_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .filter(|(k, _)| !k.starts_with("meshform:"))
        .collect()
}

pub fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::map(m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))))
}

/// An SDK error as a provider error: the operation, AWS's message and its code.
pub fn aws_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug + 'static>(
    op: &str,
    e: SdkError<E, R>,
) -> ProviderError {
    if let Some(se) = e.as_service_error()
        && let Some(code) = se.code()
    {
        let message = se.message().unwrap_or("no message");
        return ProviderError { message: format!("{op}: {message}"), code: Some(code.to_string()) };
    }
    let text = causes(&e);
    let (code, hint) = if text.contains("credentials") {
        (
            "NoCredentialProviders",
            "no valid credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or access_key/secret_key in the provider block",
        )
    } else if matches!(e, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
        ("RequestError", "the EC2 endpoint could not be reached")
    } else {
        ("RequestError", "the request failed")
    };
    ProviderError { message: format!("{op}: {hint}: {text}"), code: Some(code.to_string()) }
}

/// An error and its causes as one line, each said once.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// The outcome of a call whose answer is not needed.
pub async fn sent<T, E, R>(
    op: &str,
    call: impl std::future::Future<Output = Result<T, SdkError<E, R>>>,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    call.await.map(|_| ()).map_err(|e| aws_error(op, e))
}

/// True for errors meaning the object does not exist.
pub fn is_not_found(e: &ProviderError) -> bool {
    e.code.as_deref().is_some_and(|c| c.ends_with("NotFound") || c.ends_with(".NotFound"))
}
