//! The provider's schema, with terraform-provider-kubernetes's names.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use meshform_engine::eval::Type;
use meshform_engine::provider::{AttributeSchema, BlockNesting, BlockSchema, Presence, ProviderSchema, ResourceSchema};

use Presence::{Computed, Optional, Required};

fn attr(ty: Type, presence: Presence, force_new: bool, sensitive: bool) -> AttributeSchema {
    AttributeSchema { ty, presence, force_new, sensitive, description: "" }
}

fn body(
    description: &'static str,
    attrs: Vec<(&str, AttributeSchema)>,
    blocks: Vec<(&str, BlockNesting, ResourceSchema)>,
) -> ResourceSchema {
    ResourceSchema {
        attributes: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        blocks: blocks.into_iter().map(|(n, nesting, body)| (n.to_string(), BlockSchema { nesting, body })).collect(),
        description,
    }
}

fn string_map() -> Type {
    Type::Map(Box::new(Type::String))
}

fn metadata(namespaced: bool) -> (&'static str, BlockNesting, ResourceSchema) {
    let mut attrs = vec![
        ("name", attr(Type::String, Required, true, false)),
        ("labels", attr(string_map(), Optional, false, false)),
        ("annotations", attr(string_map(), Optional, false, false)),
        ("uid", attr(Type::String, Computed, false, false)),
        ("resource_version", attr(Type::String, Computed, false, false)),
    ];
    if namespaced {
        attrs.push(("namespace", attr(Type::String, Optional, true, false)));
    }
    ("metadata", BlockNesting::List, body("The object's name, labels and annotations.", attrs, vec![]))
}

fn timeouts() -> (&'static str, BlockNesting, ResourceSchema) {
    let t = |_: ()| attr(Type::String, Optional, false, false);
    (
        "timeouts",
        BlockNesting::Single,
        body(
            "How long create, update and delete may take.",
            vec![("create", t(())), ("update", t(())), ("delete", t(()))],
            vec![],
        ),
    )
}

fn resources() -> BTreeMap<String, ResourceSchema> {
    let mut r = BTreeMap::new();
    let wait = body(
        "What apply waits for after applying.",
        vec![
            ("rollout", attr(Type::Bool, Optional, false, false)),
            ("fields", attr(string_map(), Optional, false, false)),
        ],
        vec![(
            "condition",
            BlockNesting::List,
            body(
                "A status condition to wait for.",
                vec![
                    ("type", attr(Type::String, Required, false, false)),
                    ("status", attr(Type::String, Optional, false, false)),
                ],
                vec![],
            ),
        )],
    );
    let field_manager = body(
        "How server-side apply names meshform and handles conflicts.",
        vec![
            ("name", attr(Type::String, Optional, false, false)),
            ("force_conflicts", attr(Type::Bool, Optional, false, false)),
        ],
        vec![],
    );
    r.insert(
        "kubernetes_manifest".into(),
        body(
            "Any Kubernetes object, applied with server-side apply.",
            vec![
                ("manifest", attr(Type::Any, Required, false, false)),
                ("object", attr(Type::Any, Computed, false, false)),
            ],
            vec![
                ("wait", BlockNesting::Single, wait),
                ("field_manager", BlockNesting::Single, field_manager),
                timeouts(),
            ],
        ),
    );
    r.insert(
        "kubernetes_namespace".into(),
        body(
            "A namespace.",
            vec![("id", attr(Type::String, Computed, false, false))],
            vec![metadata(false), timeouts()],
        ),
    );
    r.insert(
        "kubernetes_config_map".into(),
        body(
            "A config map.",
            vec![
                ("id", attr(Type::String, Computed, false, false)),
                ("data", attr(string_map(), Optional, false, false)),
                ("binary_data", attr(string_map(), Optional, false, false)),
            ],
            vec![metadata(true)],
        ),
    );
    r.insert(
        "kubernetes_secret".into(),
        body(
            "A secret; data values are given as plain text and stored base64-encoded.",
            vec![
                ("id", attr(Type::String, Computed, false, false)),
                ("data", attr(string_map(), Optional, false, true)),
                ("type", attr(Type::String, Optional, true, false)),
            ],
            vec![metadata(true)],
        ),
    );
    r.insert(
        "kubernetes_job".into(),
        body(
            "A Job; `spec` is the JobSpec in the API's own field names. Apply waits for it to complete unless `wait_for_completion = false`.",
            vec![
                ("id", attr(Type::String, Computed, false, false)),
                ("spec", attr(Type::Any, Required, true, false)),
                ("wait_for_completion", attr(Type::Bool, Optional, false, false)),
                ("status", attr(Type::Any, Computed, false, false)),
            ],
            vec![metadata(true), timeouts()],
        ),
    );
    r
}

fn provider() -> ResourceSchema {
    body(
        "Where the cluster is.",
        vec![
            ("config_path", attr(Type::String, Optional, false, false)),
            ("config_context", attr(Type::String, Optional, false, false)),
        ],
        vec![],
    )
}

pub fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| ProviderSchema {
        provider: provider(),
        resources: resources(),
        data_sources: BTreeMap::new(),
    })
}
