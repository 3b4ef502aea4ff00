//! Providers that make nothing: `mock_provider` blocks and `override_resource` /
//! `override_data` of a test file. They keep the real provider's schema, so resources are
//! checked as usual, and fill the computed attributes of what they "create" with the values
//! the test file gives, or made-up ones (8 characters for a string, 0, false, empty
//! collections), as Terraform's test framework does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::eval::{Type, Value};
use crate::provider::{
    ApplyRequest, AttributeSchema, BlockNesting, PlanRequest, PlannedChange, Presence, Provider, ProviderError,
    ProviderSchema, ResourceSchema,
};

/// Values for computed attributes, by resource (or data source) type.
#[derive(Clone, Debug, Default)]
pub struct MockValues {
    pub resources: BTreeMap<String, Value>,
    pub data: BTreeMap<String, Value>,
    /// Fill computed attributes already at plan (`override_during = plan`).
    pub at_plan: bool,
}

pub struct MockProvider {
    schema: ProviderSchema,
    values: MockValues,
    counter: AtomicU64,
}

impl MockProvider {
    pub fn serving(schema: ProviderSchema, values: MockValues) -> Arc<dyn Provider> {
        Arc::new(MockProvider { schema, values, counter: AtomicU64::new(0) })
    }

    fn resource_schema(&self, type_name: &str, data: bool) -> Result<&ResourceSchema, ProviderError> {
        let found = if data { self.schema.data_sources.get(type_name) } else { self.schema.resources.get(type_name) };
        found.ok_or_else(|| ProviderError::new(format!("the mocked provider has no type {type_name:?}")))
    }

    /// Eight characters from `[a-z0-9]`, different each time.
    fn made_up_string(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let mut x = (nanos as u64) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..8)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                CHARS[(x % CHARS.len() as u64) as usize] as char
            })
            .collect()
    }

    fn made_up(&self, ty: &Type) -> Value {
        match ty {
            Type::String => Value::String(self.made_up_string()),
            Type::Number => Value::from(0),
            Type::Bool => Value::Bool(false),
            Type::List(_) => Value::List(Vec::new()),
            Type::Set(_) => Value::Set(Vec::new()),
            Type::Map(_) => Value::map(Vec::<(String, Value)>::new()),
            Type::Object(attrs) => Value::object(attrs.iter().map(|(k, a)| (k.clone(), self.made_up(&a.ty)))),
            Type::Tuple(items) => Value::Tuple(items.iter().map(|t| self.made_up(t)).collect()),
            Type::Any => Value::Null,
        }
    }

    /// The value for one computed attribute: the given one converted to its type, else
    /// a made-up one.
    fn fill(&self, name: &str, attr: &AttributeSchema, given: Option<&Value>) -> Result<Value, ProviderError> {
        match given {
            Some(v) => crate::eval::types::convert(v.clone(), &attr.ty).map_err(|e| {
                ProviderError::new(format!(
                    "meshform could not compute a value for the target type {} with the mocked data with the attribute \"{name}\": {e}.",
                    attr.ty.friendly_name()
                ))
            }),
            None => Ok(self.made_up(&attr.ty)),
        }
    }

    /// `object` with every computed attribute that `missing` selects filled, recursively
    /// through nested blocks; `given` holds the test file's values for them.
    fn complete(
        &self,
        schema: &ResourceSchema,
        object: &Value,
        given: Option<&Value>,
        missing: fn(&Value) -> bool,
    ) -> Result<Value, ProviderError> {
        let mut out = object.as_map().cloned().unwrap_or_default();
        for (name, attr) in &schema.attributes {
            let current = out.get(name).cloned().unwrap_or(Value::Null);
            let computed = matches!(attr.presence, Presence::Computed | Presence::OptionalComputed);
            if computed && missing(&current) {
                out.insert(name.clone(), self.fill(name, attr, given.and_then(|g| g.get_attr(name)))?);
            }
        }
        for (name, block) in &schema.blocks {
            let inner_given = given.and_then(|g| g.get_attr(name));
            let Some(current) = out.get(name).cloned() else { continue };
            let filled = match (block.nesting, &current) {
                (BlockNesting::Single, v) if !v.is_null() => self.complete(&block.body, v, inner_given, missing)?,
                (_, Value::List(items)) => Value::List(
                    items
                        .iter()
                        .map(|i| self.complete(&block.body, i, inner_given, missing))
                        .collect::<Result<_, _>>()?,
                ),
                (_, Value::Set(items)) => Value::Set(
                    items
                        .iter()
                        .map(|i| self.complete(&block.body, i, inner_given, missing))
                        .collect::<Result<_, _>>()?,
                ),
                _ => current,
            };
            out.insert(name.clone(), filled);
        }
        Ok(Value::Object(Arc::new(out)))
    }
}

fn null_or_unknown(v: &Value) -> bool {
    v.is_null() || v.is_unknown()
}

fn unknown(v: &Value) -> bool {
    v.is_unknown()
}

/// What the configuration sets where the prior object has a value for each computed
/// attribute the configuration leaves null; unknown where there is no prior object.
fn proposed(schema: &ResourceSchema, config: &Value, prior: Option<&Value>) -> Value {
    let mut out = config.as_map().cloned().unwrap_or_default();
    for (name, attr) in &schema.attributes {
        let computed = matches!(attr.presence, Presence::Computed | Presence::OptionalComputed);
        if !computed || !out.get(name).is_none_or(Value::is_null) {
            continue;
        }
        let v = match prior {
            Some(p) => p.get_attr(name).cloned().unwrap_or(Value::Null),
            None => Value::Unknown,
        };
        out.insert(name.clone(), v);
    }
    Value::Object(Arc::new(out))
}

#[async_trait::async_trait]
impl Provider for MockProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlannedChange, ProviderError> {
        let schema = self.resource_schema(req.type_name, false)?;
        let mut planned = proposed(schema, req.config, req.prior);
        if req.prior.is_none() && self.values.at_plan {
            planned = self.complete(schema, &planned, self.values.resources.get(req.type_name), unknown)?;
        }
        let requires_replace = match req.prior {
            Some(prior) => schema
                .attributes
                .iter()
                .filter(|(n, a)| a.force_new && prior.get_attr(n) != planned.get_attr(n))
                .map(|(n, _)| n.clone())
                .collect(),
            None => Vec::new(),
        };
        Ok(PlannedChange { planned, requires_replace })
    }

    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let Some(planned) = req.planned else { return Ok(Value::Null) };
        let schema = self.resource_schema(req.type_name, false)?;
        self.complete(schema, planned, self.values.resources.get(req.type_name), unknown)
    }

    async fn read(&self, _type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(state.clone()))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let schema = self.resource_schema(type_name, true)?;
        self.complete(schema, config, self.values.data.get(type_name), null_or_unknown)
    }

    async fn import(&self, _type_name: &str, _id: &str, _config: &Value) -> Result<Value, ProviderError> {
        Err(ProviderError::new(
            "Cannot import resources from mock providers. Use an `override_resource` block to targeting the specific resource being imported instead.",
        ))
    }
}
