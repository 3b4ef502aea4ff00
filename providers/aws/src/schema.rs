//! The provider's schema: the `provider "aws"` block, resources and data sources, with
//! terraform-provider-aws's names. `force_new` follows what EC2 can change in place.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use meshform_engine::eval::Type;
use meshform_engine::provider::{AttributeSchema, BlockNesting, BlockSchema, Presence, ProviderSchema, ResourceSchema};

use Presence::{Computed, Optional, OptionalComputed, Required};

/// One attribute: name, type, who sets it, whether a change replaces the object.
type Attr = (&'static str, Type, Presence, bool);

fn string() -> Type {
    Type::String
}

fn strings() -> Type {
    Type::List(Box::new(Type::String))
}

fn string_set() -> Type {
    Type::Set(Box::new(Type::String))
}

fn string_map() -> Type {
    Type::Map(Box::new(Type::String))
}

fn body(
    description: &'static str,
    attrs: Vec<Attr>,
    blocks: Vec<(&'static str, BlockNesting, ResourceSchema)>,
) -> ResourceSchema {
    let attributes = attrs
        .into_iter()
        .map(|(n, ty, presence, force_new)| {
            let sensitive = matches!(n, "secret_key" | "token");
            (n.to_string(), AttributeSchema { ty, presence, force_new, sensitive, description: "" })
        })
        .collect();
    let blocks = blocks.into_iter().map(|(n, nesting, body)| (n.to_string(), BlockSchema { nesting, body })).collect();
    ResourceSchema { attributes, blocks, description }
}

/// `id`, `arn`, `tags` and `tags_all`, which every taggable resource has.
fn tagged(mut attrs: Vec<Attr>) -> Vec<Attr> {
    attrs.push(("id", string(), Computed, false));
    attrs.push(("arn", string(), Computed, false));
    attrs.push(("tags", string_map(), Optional, false));
    attrs.push(("tags_all", string_map(), Computed, false));
    attrs
}

fn timeouts() -> (&'static str, BlockNesting, ResourceSchema) {
    let t = vec![
        ("create", string(), Optional, false),
        ("update", string(), Optional, false),
        ("delete", string(), Optional, false),
    ];
    ("timeouts", BlockNesting::Single, body("How long create, update and delete may take.", t, vec![]))
}

fn sg_rule() -> ResourceSchema {
    body(
        "A security group rule.",
        vec![
            ("from_port", Type::Number, Required, false),
            ("to_port", Type::Number, Required, false),
            ("protocol", string(), Required, false),
            ("cidr_blocks", strings(), Optional, false),
            ("security_groups", string_set(), Optional, false),
            ("self", Type::Bool, Optional, false),
            ("description", string(), Optional, false),
        ],
        vec![],
    )
}

fn provider() -> ResourceSchema {
    body(
        "Settings of the AWS provider.",
        vec![
            ("region", string(), Optional, false),
            ("profile", string(), Optional, false),
            ("access_key", string(), Optional, false),
            ("secret_key", string(), Optional, false),
            ("token", string(), Optional, false),
            ("max_retries", Type::Number, Optional, false),
            // Accepted so that specs written for emulators port unchanged; meshform makes
            // none of these calls.
            ("skip_credentials_validation", Type::Bool, Optional, false),
            ("skip_metadata_api_check", Type::Bool, Optional, false),
            ("skip_requesting_account_id", Type::Bool, Optional, false),
            ("skip_region_validation", Type::Bool, Optional, false),
        ],
        vec![
            (
                "endpoints",
                BlockNesting::Single,
                body(
                    "Endpoints of services, for emulators and private endpoints.",
                    vec![("ec2", string(), Optional, false), ("s3", string(), Optional, false)],
                    vec![],
                ),
            ),
            (
                "default_tags",
                BlockNesting::Single,
                body("Tags every resource gets.", vec![("tags", string_map(), Optional, false)], vec![]),
            ),
        ],
    )
}

fn resources() -> BTreeMap<String, ResourceSchema> {
    let mut r = BTreeMap::new();
    r.insert(
        "aws_vpc".into(),
        body(
            "A VPC.",
            tagged(vec![
                ("cidr_block", string(), Required, true),
                ("instance_tenancy", string(), OptionalComputed, true),
                ("enable_dns_support", Type::Bool, OptionalComputed, false),
                ("enable_dns_hostnames", Type::Bool, OptionalComputed, false),
                ("main_route_table_id", string(), Computed, false),
                ("default_security_group_id", string(), Computed, false),
                ("owner_id", string(), Computed, false),
            ]),
            vec![],
        ),
    );
    r.insert(
        "aws_subnet".into(),
        body(
            "A subnet of a VPC.",
            tagged(vec![
                ("vpc_id", string(), Required, true),
                ("cidr_block", string(), Required, true),
                ("availability_zone", string(), OptionalComputed, true),
                ("map_public_ip_on_launch", Type::Bool, OptionalComputed, false),
            ]),
            vec![],
        ),
    );
    r.insert(
        "aws_internet_gateway".into(),
        body("An internet gateway, attached to a VPC.", tagged(vec![("vpc_id", string(), Optional, false)]), vec![]),
    );
    r.insert(
        "aws_route_table".into(),
        body(
            "A route table with its routes.",
            tagged(vec![("vpc_id", string(), Required, true)]),
            vec![(
                "route",
                BlockNesting::Set,
                body(
                    "A route.",
                    vec![("cidr_block", string(), Required, false), ("gateway_id", string(), Optional, false)],
                    vec![],
                ),
            )],
        ),
    );
    r.insert(
        "aws_route_table_association".into(),
        body(
            "Which route table a subnet uses.",
            vec![
                ("id", string(), Computed, false),
                ("subnet_id", string(), Required, true),
                ("route_table_id", string(), Required, true),
            ],
            vec![],
        ),
    );
    r.insert(
        "aws_security_group".into(),
        body(
            "A security group with its rules.",
            tagged(vec![
                ("name", string(), OptionalComputed, true),
                ("description", string(), OptionalComputed, true),
                ("vpc_id", string(), OptionalComputed, true),
                ("owner_id", string(), Computed, false),
                ("revoke_rules_on_delete", Type::Bool, Optional, false),
            ]),
            vec![("ingress", BlockNesting::Set, sg_rule()), ("egress", BlockNesting::Set, sg_rule())],
        ),
    );
    r.insert(
        "aws_key_pair".into(),
        body(
            "An SSH public key, imported.",
            tagged(vec![
                ("key_name", string(), OptionalComputed, true),
                ("public_key", string(), Required, true),
                ("key_pair_id", string(), Computed, false),
                ("fingerprint", string(), Computed, false),
            ]),
            vec![],
        ),
    );
    r.insert(
        "aws_instance".into(),
        body(
            "An EC2 instance.",
            tagged(vec![
                ("ami", string(), Required, true),
                ("instance_type", string(), Required, false),
                ("subnet_id", string(), OptionalComputed, true),
                ("vpc_security_group_ids", string_set(), OptionalComputed, false),
                ("key_name", string(), OptionalComputed, true),
                ("user_data", string(), Optional, false),
                ("user_data_replace_on_change", Type::Bool, Optional, false),
                ("associate_public_ip_address", Type::Bool, OptionalComputed, true),
                ("availability_zone", string(), OptionalComputed, true),
                ("private_ip", string(), OptionalComputed, true),
                ("public_ip", string(), Computed, false),
                ("private_dns", string(), Computed, false),
                ("public_dns", string(), Computed, false),
                ("instance_state", string(), Computed, false),
                ("instance_lifecycle", string(), Computed, false),
                ("spot_instance_request_id", string(), Computed, false),
            ]),
            vec![
                (
                    "root_block_device",
                    BlockNesting::Single,
                    body(
                        "The root volume.",
                        vec![
                            ("volume_size", Type::Number, OptionalComputed, true),
                            ("volume_type", string(), OptionalComputed, true),
                            ("delete_on_termination", Type::Bool, OptionalComputed, true),
                            ("encrypted", Type::Bool, OptionalComputed, true),
                        ],
                        vec![],
                    ),
                ),
                (
                    "instance_market_options",
                    BlockNesting::Single,
                    body(
                        "Spot instead of on-demand.",
                        vec![("market_type", string(), OptionalComputed, true)],
                        vec![(
                            "spot_options",
                            BlockNesting::Single,
                            body(
                                "How the spot instance is bought and interrupted.",
                                vec![
                                    ("max_price", string(), Optional, true),
                                    ("spot_instance_type", string(), OptionalComputed, true),
                                    ("instance_interruption_behavior", string(), OptionalComputed, true),
                                ],
                                vec![],
                            ),
                        )],
                    ),
                ),
                timeouts(),
            ],
        ),
    );
    r
}

fn data_sources() -> BTreeMap<String, ResourceSchema> {
    let mut d = BTreeMap::new();
    d.insert(
        "aws_ami".into(),
        body(
            "An image, found by owners, filters and name.",
            vec![
                ("owners", strings(), Optional, false),
                ("most_recent", Type::Bool, Optional, false),
                ("name_regex", string(), Optional, false),
                ("id", string(), Computed, false),
                ("image_id", string(), Computed, false),
                ("name", string(), Computed, false),
                ("description", string(), Computed, false),
                ("architecture", string(), Computed, false),
                ("creation_date", string(), Computed, false),
                ("owner_id", string(), Computed, false),
                ("root_device_name", string(), Computed, false),
                ("virtualization_type", string(), Computed, false),
            ],
            vec![(
                "filter",
                BlockNesting::Set,
                body(
                    "A DescribeImages filter.",
                    vec![("name", string(), Required, false), ("values", string_set(), Required, false)],
                    vec![],
                ),
            )],
        ),
    );
    d.insert(
        "aws_availability_zones".into(),
        body(
            "The availability zones of the region.",
            vec![
                ("state", string(), Optional, false),
                ("id", string(), Computed, false),
                ("names", strings(), Computed, false),
                ("zone_ids", strings(), Computed, false),
            ],
            vec![],
        ),
    );
    d
}

pub fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| ProviderSchema { provider: provider(), resources: resources(), data_sources: data_sources() })
}

/// Nested blocks that EC2 fills in when the configuration leaves them out.
pub fn computed_blocks(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "aws_instance" => &["root_block_device"],
        "aws_security_group" => &["egress"],
        _ => &[],
    }
}
