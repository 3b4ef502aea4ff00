//! The contract between the engine and providers. Providers see typed values and a
//! resource's schema, never the graph, the state file or the terminal.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::eval::{Type, Value};

/// An attribute of a resource type.
#[derive(Clone, Debug)]
pub struct AttributeSchema {
    pub ty: Type,
    pub presence: Presence,
    /// Changing it replaces the resource instead of updating it.
    pub force_new: bool,
    pub sensitive: bool,
    pub description: &'static str,
}

/// Who sets an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by the user, or by the provider when the user does not.
    OptionalComputed,
}

/// A nested block a resource type accepts (`root_block_device { ... }`).
#[derive(Clone, Debug)]
pub struct BlockSchema {
    pub nesting: BlockNesting,
    pub body: ResourceSchema,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockNesting {
    /// At most one; an object (null when absent).
    Single,
    /// Any number, in order; a list of objects.
    List,
    /// Any number, unordered; a set of objects.
    Set,
}

/// The attributes and blocks of a resource or data source type.
#[derive(Clone, Debug, Default)]
pub struct ResourceSchema {
    pub attributes: BTreeMap<String, AttributeSchema>,
    pub blocks: BTreeMap<String, BlockSchema>,
    pub description: &'static str,
}

/// Everything a provider offers.
#[derive(Clone, Debug, Default)]
pub struct ProviderSchema {
    pub provider: ResourceSchema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

/// A provider failed. The engine adds the resource address when it reports it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub message: String,
    /// A machine-readable code from the far side (an AWS error code, an errno), if any.
    pub code: Option<String>,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> ProviderError {
        ProviderError { message: message.into(), code: None }
    }
}

pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    /// The current object, `None` when it is to be created.
    pub prior: Option<&'a Value>,
    /// The configuration, evaluated; may hold unknowns.
    pub config: &'a Value,
}

pub struct PlannedChange {
    /// The object after apply, unknowns where the provider decides.
    pub planned: Value,
    /// Attributes whose change forces replacement (empty: update in place is possible).
    pub requires_replace: Vec<String>,
}

pub struct ApplyRequest<'a> {
    pub type_name: &'a str,
    pub prior: Option<&'a Value>,
    /// `None` to delete.
    pub planned: Option<&'a Value>,
    pub config: &'a Value,
    /// The id under which this call's intent is journaled before it is made. A provider
    /// that can find what a call made by this id (a tag, a marker on the host) implements
    /// [`Provider::adopt`], so work of a killed apply is adopted instead of done twice.
    pub intent: &'a str,
}

/// What every provider implements. Calls run on the engine's tokio runtime.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn schema(&self) -> &ProviderSchema;

    /// Finds what a create made under `intent` (by an apply that was killed before it
    /// could record the result): the object as apply would have returned it, or `None` when
    /// nothing was made. `planned` is what the create was asked to make.
    async fn adopt(&self, type_name: &str, intent: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let _ = (type_name, intent, planned);
        Ok(None)
    }

    /// Takes the evaluated `provider` block (null when there is none).
    async fn configure(&self, config: &Value) -> Result<(), ProviderError> {
        let _ = config;
        Ok(())
    }

    /// Checks a resource configuration beyond what the schema expresses.
    fn validate(&self, type_name: &str, config: &Value) -> Result<(), ProviderError> {
        let _ = (type_name, config);
        Ok(())
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlannedChange, ProviderError>;

    /// Makes the planned change; returns the new object, or `Value::Null` after a delete.
    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError>;

    /// Reads the real object behind a recorded one: `None` when it is gone.
    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError>;

    /// How many recorded objects of `type_name` one [`Provider::read_many`] call reads: more
    /// than 1 where the far side lists many in one call (EC2's `DescribeInstances`), so a
    /// refresh of N objects costs N / batch calls rather than N.
    fn read_batch(&self, type_name: &str) -> usize {
        let _ = type_name;
        1
    }

    /// Reads the real objects behind up to [`Provider::read_batch`] recorded ones of one
    /// type: one result for each of `states`, in their order, as [`Provider::read`] would
    /// give it.
    async fn read_many(&self, type_name: &str, states: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
        let mut out = Vec::with_capacity(states.len());
        for state in states {
            out.push(self.read(type_name, state).await);
        }
        out
    }

    /// Reads a data source.
    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let _ = config;
        Err(ProviderError::new(format!("data source {type_name} is not supported")))
    }

    /// Adopts an existing object by its id. `config` is the resource's configuration,
    /// evaluated (unknowns where it depends on what is not made yet), for providers that
    /// need it to reach the object, such as a host's `connection`.
    async fn import(&self, type_name: &str, id: &str, config: &Value) -> Result<Value, ProviderError> {
        let _ = (id, config);
        Err(ProviderError::new(format!("{type_name} does not support import")))
    }

    /// The provider itself, for commands that call one provider's own operations
    /// (`cluster submit` on a Kubernetes cluster); `None` for providers without any.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

/// Makes a fresh, unconfigured provider instance.
pub type ProviderFactory = fn() -> Arc<dyn Provider>;

/// The providers a run knows, by local name (`terraform`, `host`, `aws`).
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    factories: BTreeMap<String, ProviderFactory>,
}

impl ProviderRegistry {
    pub fn new() -> ProviderRegistry {
        ProviderRegistry::default()
    }

    pub fn register(&mut self, name: &str, factory: ProviderFactory) {
        self.factories.insert(name.to_string(), factory);
    }

    pub fn factory(&self, name: &str) -> Option<ProviderFactory> {
        self.factories.get(name).copied()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }
}

/// The provider a resource type belongs to when none is named: the prefix before the
/// first underscore (`aws_instance` → `aws`); `terraform_data` belongs to `terraform`.
pub fn implied_provider(type_name: &str) -> &str {
    type_name.split('_').next().unwrap_or(type_name)
}

/// For providers: a Terraform duration (`10m`, `30s`, `1h30m`) from a `timeouts` block.
pub fn timeout(config: &Value, which: &str, default: Duration) -> Result<Duration, ProviderError> {
    let Some(text) =
        config.get_attr("timeouts").and_then(|t| t.get_attr(which)).and_then(Value::as_str).map(str::to_string)
    else {
        return Ok(default);
    };
    let mut total = 0u64;
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let n: u64 = digits.parse().map_err(|_| bad_duration(which, &text))?;
        digits.clear();
        total += n * match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad_duration(which, &text)),
        };
    }
    if !digits.is_empty() || total == 0 {
        return Err(bad_duration(which, &text));
    }
    Ok(Duration::from_secs(total))
}

fn bad_duration(which: &str, text: &str) -> ProviderError {
    ProviderError::new(format!("timeouts.{which} = {text:?} is not a duration like \"10m\", \"90s\" or \"1h30m\""))
}

/// For providers: polls `check` with backoff (0.2 s growing by half to 5 s) until it returns `Some`, or fails
/// once `limit` has passed.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, ProviderError>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if start.elapsed() >= limit {
            return Err(ProviderError {
                message: format!("timed out after {}s waiting for {what}", limit.as_secs()),
                code: Some("Timeout".into()),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts(create: &str) -> Value {
        Value::object([("timeouts", Value::object([("create", Value::from(create))]))])
    }

    #[test]
    fn timeouts_read_terraform_durations() {
        let d = Duration::from_secs(7);
        assert_eq!(timeout(&Value::Null, "create", d).ok(), Some(d));
        assert_eq!(timeout(&timeouts("10m"), "create", d).ok(), Some(Duration::from_secs(600)));
        assert_eq!(timeout(&timeouts("1h30m"), "create", d).ok(), Some(Duration::from_secs(5400)));
        assert_eq!(timeout(&timeouts("45s"), "create", d).ok(), Some(Duration::from_secs(45)));
        for bad in ["10", "m", "10x", "0s", ""] {
            assert!(timeout(&timeouts(bad), "create", d).is_err(), "{bad}");
        }
    }
}
