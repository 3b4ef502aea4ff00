//! The `kubernetes` provider: objects applied with server-side apply under the field
//! manager `meshform`, read back for drift, deleted and waited for.
//!
//! | resource                 | what it manages |
//! |--------------------------|-----------------|
//! | `kubernetes_manifest`    | any object, given whole as `manifest`; optional waits (rollout, conditions, fields) |
//! | `kubernetes_namespace`   | a namespace |
//! | `kubernetes_config_map`  | a config map (`data`, `binary_data`) |
//! | `kubernetes_secret`      | a secret (`data`, sensitive) |
//! | `kubernetes_job`         | a Job (`spec` in API field names); apply waits for completion, `status` tells how it went |
//!
//! Every object is checked before it is sent: it must deserialise into the
//! `k8s-openapi` type of its kind with no field left over, and pass the checks a server
//! makes that the types can express (names, selectors matching template labels, ports);
//! see [`validate`].

mod client;
mod object;
mod schema;
pub mod submit;
pub mod validate;

use std::sync::Arc;

use meshform_engine::eval::Value;
use meshform_engine::provider::{ApplyRequest, PlanRequest, PlannedChange, Provider, ProviderError, ProviderSchema};

/// The provider's local name, as resource type prefixes imply it.
pub const NAME: &str = "kubernetes";

pub struct KubernetesProvider {
    client: client::Lazy,
}

/// Makes the provider, for a [`meshform_engine::provider::ProviderRegistry`].
pub fn factory() -> Arc<dyn Provider> {
    Arc::new(KubernetesProvider { client: client::Lazy::default() })
}

#[async_trait::async_trait]
impl Provider for KubernetesProvider {
    fn schema(&self) -> &ProviderSchema {
        schema::schema()
    }

    async fn configure(&self, config: &Value) -> Result<(), ProviderError> {
        self.client.configure(client::Settings::from_value(config));
        Ok(())
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlannedChange, ProviderError> {
        object::plan(req.type_name, req.prior, req.config)
    }

    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let c = self.client.get().await?;
        match (req.prior, req.planned) {
            (Some(prior), None) => object::delete(&c, req.type_name, prior).await.map(|()| Value::Null),
            (_, Some(planned)) => object::apply(&c, req.type_name, planned).await,
            (None, None) => Ok(Value::Null),
        }
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let c = self.client.get().await?;
        object::read(&c, type_name, state).await
    }

    /// Objects are named, so what a killed create applied is found by its name.
    async fn adopt(&self, type_name: &str, _intent: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let c = self.client.get().await?;
        object::read(&c, type_name, planned).await
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
