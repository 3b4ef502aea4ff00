//! The `template` provider: handlebars templates rendered into configuration files.
//!
//! | data source                  | what it gives |
//! |------------------------------|---------------|
//! | `data "template_handlebars"` | `rendered`: `template` rendered with `vars` as its context |
//!
//! Arguments: `template` (string, required), `vars` (any value, default `{}`), `strict`
//! (bool, default `true`: a variable missing from `vars` is an error naming it and its line
//! and column; `false` renders it empty). HTML escaping is off. Numbers render as Terraform
//! prints them.
//!
//! Besides handlebars' built-ins (`if`, `unless`, `each`, `with`, `lookup`, `eq`, `ne`,
//! `gt`, `lt`, `and`, `or`, `not`, `len`), templates have:
//!
//! | helper | writes |
//! |--------|--------|
//! | `{{hadoop_xml props}}` | a whole Hadoop `*-site.xml`, the same bytes as `hadoop_config_xml(props)` |
//! | `{{hadoop_property "name" value}}` | one `<property>` element, laid out as in `hadoop_xml` |
//! | `{{spark_conf props}}` | `key value` lines, the same bytes as `spark_conf(props)` |
//! | `{{xml_escape text}}` | `text` with `& < > " '` escaped |
//! | `{{join list ", "}}` | the elements with the separator between them |
//!
//! ```hcl
//! data "template_handlebars" "core_site" {
//!   template = file("core-site.xml.hbs")
//!   vars     = { namenode = "nn01", props = { "dfs.replication" = 2 } }
//! }
//! ```
//!
//! Syntax and render errors say which they are, with handlebars' line and column.

mod helpers;
mod render;
mod schema;

use std::sync::Arc;

use meshform_engine::eval::Value;
use meshform_engine::provider::{ApplyRequest, PlanRequest, PlannedChange, Provider, ProviderError, ProviderSchema};

/// The provider's local name, as type prefixes imply it.
pub const NAME: &str = "template";

pub struct TemplateProvider;

/// Makes the provider, for a [`meshform_engine::provider::ProviderRegistry`].
pub fn factory() -> Arc<dyn Provider> {
    Arc::new(TemplateProvider)
}

#[async_trait::async_trait]
impl Provider for TemplateProvider {
    fn schema(&self) -> &ProviderSchema {
        schema::schema()
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlannedChange, ProviderError> {
        Err(no_resource(req.type_name))
    }

    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        Err(no_resource(req.type_name))
    }

    async fn read(&self, type_name: &str, _: &Value) -> Result<Option<Value>, ProviderError> {
        Err(no_resource(type_name))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        match type_name {
            "template_handlebars" => render::read(config),
            other => Err(ProviderError::new(format!("the template provider has no data source {other:?}"))),
        }
    }
}

fn no_resource(type_name: &str) -> ProviderError {
    ProviderError::new(format!("the template provider has no resource types, so none named {type_name:?}"))
}
