//! The `aws` provider: the network and machines a cluster runs on, in EC2. Resource and
//! attribute names follow terraform-provider-aws, so specs port by copy.
//!
//! | resource                      | what it manages |
//! |-------------------------------|-----------------|
//! | `aws_vpc`                     | a VPC, with its DNS settings |
//! | `aws_subnet`                  | a subnet of a VPC |
//! | `aws_internet_gateway`        | an internet gateway, attached to a VPC |
//! | `aws_route_table`             | a route table and its `route`s |
//! | `aws_route_table_association` | a subnet's route table |
//! | `aws_security_group`          | a security group and its `ingress`/`egress` rules |
//! | `aws_key_pair`                | an imported SSH public key |
//! | `aws_instance`                | an instance, waited for until `running` |
//! | `data "aws_ami"`              | an image found by owners and filters |
//! | `data "aws_availability_zones"` | the zones of the region |
//!
//! Every create is tagged with the id of its intent, which the engine journals before the
//! call; after a killed apply, [`Provider::adopt`] finds what was made by that tag, so a
//! rerun adopts instead of booting twice. `RunInstances` carries the intent as its
//! `ClientToken` as well.

mod client;
mod data;
mod instance;
mod network;
mod plan;
mod schema;

use std::sync::Arc;

use meshform_engine::eval::Value;
use meshform_engine::provider::{ApplyRequest, PlanRequest, PlannedChange, Provider, ProviderError, ProviderSchema};

pub use client::Settings;

/// The provider's local name, as resource type prefixes imply it.
pub const NAME: &str = "aws";

/// The tag that carries the intent id of the create that made an object.
pub const INTENT_TAG: &str = "meshform:intent";

pub struct AwsProvider {
    client: client::Lazy,
}

/// Makes the provider, for a [`meshform_engine::provider::ProviderRegistry`].
pub fn factory() -> Arc<dyn Provider> {
    Arc::new(AwsProvider { client: client::Lazy::default() })
}

pub(crate) fn get(v: &Value, name: &str) -> Value {
    v.get_attr(name).cloned().unwrap_or(Value::Null)
}

pub(crate) fn get_str(v: &Value, name: &str) -> Option<String> {
    v.get_attr(name).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn get_bool(v: &Value, name: &str) -> Option<bool> {
    v.get_attr(name).and_then(Value::as_bool)
}

pub(crate) fn get_i64(v: &Value, name: &str) -> Option<i64> {
    v.get_attr(name).and_then(Value::as_number).and_then(|n| n.to_i64())
}

/// A string list or set attribute as strings.
pub(crate) fn get_strings(v: &Value, name: &str) -> Vec<String> {
    v.get_attr(name)
        .and_then(Value::as_seq)
        .map(|xs| xs.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

pub(crate) fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

pub(crate) fn id_of(v: &Value) -> Result<String, ProviderError> {
    get_str(v, "id").ok_or_else(|| ProviderError::new("the recorded object has no id"))
}

#[async_trait::async_trait]
impl Provider for AwsProvider {
    fn schema(&self) -> &ProviderSchema {
        schema::schema()
    }

    async fn configure(&self, config: &Value) -> Result<(), ProviderError> {
        self.client.configure(Settings::from_value(config)?)
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlannedChange, ProviderError> {
        let default_tags = self.client.settings().default_tags;
        plan::plan(req.type_name, req.prior, req.config, &default_tags)
    }

    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let c = self.client.get().await?;
        if req.type_name == "aws_instance" {
            return instance::apply(&c, &req).await;
        }
        network::apply(&c, &req).await
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let c = self.client.get().await?;
        let id = id_of(state)?;
        if type_name == "aws_instance" {
            return instance::read(&c, &id, state).await;
        }
        network::read(&c, type_name, &id, state).await
    }

    fn read_batch(&self, type_name: &str) -> usize {
        if type_name == "aws_instance" { instance::READ_BATCH } else { 1 }
    }

    async fn read_many(&self, type_name: &str, states: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
        let c = match self.client.get().await {
            Ok(c) => c,
            Err(e) => return states.iter().map(|_| Err(e.clone())).collect(),
        };
        if type_name == "aws_instance" {
            return instance::read_many(&c, states).await;
        }
        // The other types are read one at a time (`read_batch` is 1 for them).
        let mut out = Vec::with_capacity(states.len());
        for state in states {
            out.push(self.read(type_name, state).await);
        }
        out
    }

    async fn adopt(&self, type_name: &str, intent: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let c = self.client.get().await?;
        if type_name == "aws_instance" {
            return instance::adopt(&c, intent, planned).await;
        }
        network::adopt(&c, type_name, intent, planned).await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let c = self.client.get().await?;
        data::read(&c, type_name, config).await
    }

    async fn import(&self, type_name: &str, id: &str, _config: &Value) -> Result<Value, ProviderError> {
        let c = self.client.get().await?;
        let base = plan::import_base(type_name);
        let found = if type_name == "aws_instance" {
            instance::read(&c, id, &base).await?
        } else {
            network::read(&c, type_name, id, &base).await?
        };
        found.ok_or_else(|| ProviderError {
            message: format!("no {type_name} with id {id:?} exists"),
            code: Some("NotFound".into()),
        })
    }
}
