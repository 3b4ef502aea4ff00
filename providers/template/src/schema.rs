//! Schema of the template provider's one data source.

use std::sync::OnceLock;

use meshform_engine::eval::Type;
use meshform_engine::provider::{AttributeSchema, Presence, ProviderSchema, ResourceSchema};

fn attr(ty: Type, presence: Presence, description: &'static str) -> AttributeSchema {
    AttributeSchema { ty, presence, force_new: false, sensitive: false, description }
}

pub fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        use Presence::*;
        let mut hbs =
            ResourceSchema { description: "A handlebars template rendered with vars.", ..ResourceSchema::default() };
        for (name, a) in [
            ("template", attr(Type::String, Required, "The handlebars text.")),
            ("vars", attr(Type::Any, Optional, "The template's context, default {}.")),
            ("strict", attr(Type::Bool, Optional, "A missing variable is an error (default true).")),
            ("rendered", attr(Type::String, Computed, "The rendered text.")),
        ] {
            hbs.attributes.insert(name.to_string(), a);
        }
        let mut p = ProviderSchema::default();
        p.data_sources.insert("template_handlebars".into(), hbs);
        p
    })
}
