//! The built-in provider (`terraform`): `terraform_data`, with the same attributes and
//! semantics as Terraform's, so specs run unchanged through both tools.
//!
//! `terraform_data` stores `input`, copies it to `output` on apply, gets a random `id`,
//! and is replaced when `triggers_replace` changes.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use meshform_engine::eval::{Type, Value};
use meshform_engine::provider::{
    ApplyRequest, AttributeSchema, PlanRequest, PlannedChange, Presence, Provider, ProviderError, ProviderSchema,
    ResourceSchema,
};

/// The provider's local name, as resource type prefixes imply it.
pub const NAME: &str = "terraform";

pub struct BuiltinProvider;

/// Makes the provider, for a [`meshform_engine::provider::ProviderRegistry`].
pub fn factory() -> Arc<dyn Provider> {
    Arc::new(BuiltinProvider)
}

fn attr(presence: Presence, force_new: bool, description: &'static str) -> AttributeSchema {
    AttributeSchema { ty: Type::Any, presence, force_new, sensitive: false, description }
}

fn id_attr() -> AttributeSchema {
    AttributeSchema { ty: Type::String, ..attr(Presence::Computed, false, "A random id, set on create.") }
}

fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut attributes = BTreeMap::new();
        attributes.insert("id".to_string(), id_attr());
        attributes.insert("input".to_string(), attr(Presence::Optional, false, "Any value, stored."));
        attributes.insert("output".to_string(), attr(Presence::Computed, false, "The input, after apply."));
        attributes.insert(
            "triggers_replace".to_string(),
            attr(Presence::Optional, true, "A change here replaces the resource."),
        );
        let mut resources = BTreeMap::new();
        resources.insert(
            "terraform_data".to_string(),
            ResourceSchema {
                attributes,
                blocks: BTreeMap::new(),
                description: "Stores a value through the resource lifecycle.",
            },
        );
        ProviderSchema { resources, ..ProviderSchema::default() }
    })
}

fn get(v: &Value, name: &str) -> Value {
    v.get_attr(name).cloned().unwrap_or(Value::Null)
}

fn object(id: Value, input: Value, output: Value, triggers: Value) -> Value {
    Value::object([("id", id), ("input", input), ("output", output), ("triggers_replace", triggers)])
}

fn check_type(type_name: &str) -> Result<(), ProviderError> {
    if type_name == "terraform_data" {
        Ok(())
    } else {
        Err(ProviderError::new(format!("the built-in provider has no resource type {type_name:?}")))
    }
}

#[async_trait::async_trait]
impl Provider for BuiltinProvider {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlannedChange, ProviderError> {
        check_type(req.type_name)?;
        let input = get(req.config, "input");
        let triggers = get(req.config, "triggers_replace");
        // A new object's output is the input after apply; a null input is known already.
        let new_output = if input.is_null() { input.clone() } else { Value::Unknown };
        let fresh = PlannedChange {
            planned: object(Value::Unknown, input.clone(), new_output, triggers.clone()),
            requires_replace: Vec::new(),
        };
        let Some(prior) = req.prior else {
            return Ok(fresh);
        };
        if !triggers.is_wholly_known() || triggers != get(prior, "triggers_replace") {
            return Ok(PlannedChange { requires_replace: vec!["triggers_replace".to_string()], ..fresh });
        }
        if !input.is_wholly_known() || input != get(prior, "input") {
            return Ok(PlannedChange {
                planned: object(get(prior, "id"), input, Value::Unknown, triggers),
                requires_replace: Vec::new(),
            });
        }
        Ok(PlannedChange { planned: prior.clone(), requires_replace: Vec::new() })
    }

    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        check_type(req.type_name)?;
        let Some(planned) = req.planned else {
            return Ok(Value::Null);
        };
        let id = match req.prior.map(|p| get(p, "id")) {
            Some(Value::String(s)) => Value::String(s),
            _ => Value::String(uuid::Uuid::new_v4().to_string()),
        };
        let input = get(planned, "input");
        Ok(object(id, input.clone(), input, get(planned, "triggers_replace")))
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        check_type(type_name)?;
        Ok(Some(state.clone()))
    }

    async fn import(&self, type_name: &str, id: &str, _config: &Value) -> Result<Value, ProviderError> {
        check_type(type_name)?;
        Ok(object(Value::from(id), Value::Null, Value::Null, Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    }

    fn config(input: Value, triggers: Value) -> Value {
        Value::object([("input", input), ("triggers_replace", triggers)])
    }

    #[test]
    fn create_then_apply_copies_input_to_output() {
        run(async {
            let p = BuiltinProvider;
            let cfg = config("a".into(), Value::Null);
            let plan = p.plan(PlanRequest { type_name: "terraform_data", prior: None, config: &cfg }).await.unwrap();
            assert!(get(&plan.planned, "output").is_unknown());
            let req = ApplyRequest {
                type_name: "terraform_data",
                prior: None,
                planned: Some(&plan.planned),
                config: &cfg,
                intent: "test",
            };
            let new = p.apply(req).await.unwrap();
            assert_eq!(get(&new, "output"), Value::from("a"));
            assert!(get(&new, "id").as_str().is_some_and(|s| s.len() == 36));
        });
    }

    #[test]
    fn a_new_object_without_input_has_a_known_null_output() {
        run(async {
            let p = BuiltinProvider;
            let cfg = config(Value::Null, Value::from("t"));
            let plan = p.plan(PlanRequest { type_name: "terraform_data", prior: None, config: &cfg }).await.unwrap();
            assert_eq!(get(&plan.planned, "output"), Value::Null);
            assert!(get(&plan.planned, "id").is_unknown());
            let prior = object("i".into(), Value::Null, Value::Null, Value::from("s"));
            let plan =
                p.plan(PlanRequest { type_name: "terraform_data", prior: Some(&prior), config: &cfg }).await.unwrap();
            assert_eq!(plan.requires_replace, vec!["triggers_replace".to_string()]);
            assert_eq!(get(&plan.planned, "output"), Value::Null);
        });
    }

    #[test]
    fn input_change_updates_and_trigger_change_replaces() {
        run(async {
            let p = BuiltinProvider;
            let prior = object("i".into(), "a".into(), "a".into(), Value::from(1));
            let upd = config("b".into(), Value::from(1));
            let plan =
                p.plan(PlanRequest { type_name: "terraform_data", prior: Some(&prior), config: &upd }).await.unwrap();
            assert!(plan.requires_replace.is_empty());
            assert_eq!(get(&plan.planned, "id"), Value::from("i"));
            let rep = config("a".into(), Value::from(2));
            let plan =
                p.plan(PlanRequest { type_name: "terraform_data", prior: Some(&prior), config: &rep }).await.unwrap();
            assert_eq!(plan.requires_replace, vec!["triggers_replace".to_string()]);
            let same = config("a".into(), Value::from(1));
            let plan =
                p.plan(PlanRequest { type_name: "terraform_data", prior: Some(&prior), config: &same }).await.unwrap();
            assert_eq!(plan.planned, prior);
        });
    }
}
