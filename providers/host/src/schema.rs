//! Schemas of the host provider's resources.

use std::sync::OnceLock;

use meshform_engine::eval::Type;
use meshform_engine::provider::{AttributeSchema, BlockNesting, BlockSchema, Presence, ProviderSchema, ResourceSchema};

fn attr(ty: Type, presence: Presence, force_new: bool, description: &'static str) -> AttributeSchema {
    AttributeSchema { ty, presence, force_new, sensitive: false, description }
}

fn connection() -> BlockSchema {
    let mut body = ResourceSchema { description: "How to reach the host.", ..ResourceSchema::default() };
    body.attributes
        .insert("type".into(), attr(Type::String, Presence::Optional, true, "\"local\" (this machine) or \"ssh\"."));
    body.attributes.insert("host".into(), attr(Type::String, Presence::Optional, true, "Address of the host."));
    body.attributes.insert("port".into(), attr(Type::Number, Presence::Optional, true, "SSH port, default 22."));
    body.attributes.insert("user".into(), attr(Type::String, Presence::Optional, true, "SSH user."));
    body.attributes.insert(
        "private_key_file".into(),
        attr(Type::String, Presence::Optional, false, "Key to log in with (else the agent or ~/.ssh)."),
    );
    body.attributes.insert(
        "private_key".into(),
        AttributeSchema {
            sensitive: true,
            ..attr(Type::String, Presence::Optional, false, "A private key's text (sensitive), instead of a file.")
        },
    );
    body.attributes.insert(
        "known_hosts_file".into(),
        attr(Type::String, Presence::Optional, false, "known_hosts to check the host key against."),
    );
    body.attributes.insert(
        "host_key_checking".into(),
        attr(Type::String, Presence::Optional, false, "\"yes\", \"accept-new\" (default) or \"no\"."),
    );
    body.attributes.insert(
        "ssh_config_file".into(),
        attr(Type::String, Presence::Optional, false, "ssh_config to use instead of ~/.ssh/config."),
    );
    body.attributes.insert(
        "timeout".into(),
        attr(Type::Number, Presence::Optional, false, "Seconds to wait for a connection, default 10."),
    );
    BlockSchema { nesting: BlockNesting::Single, body }
}

fn resource(description: &'static str, attrs: Vec<(&str, AttributeSchema)>) -> ResourceSchema {
    let mut s = ResourceSchema { description, ..ResourceSchema::default() };
    for (name, a) in attrs {
        s.attributes.insert(name.to_string(), a);
    }
    s.attributes.insert("id".into(), attr(Type::String, Presence::Computed, false, "Identifies the object."));
    s.attributes.insert(
        "labels".into(),
        attr(env(), Presence::Optional, false, "Free-form labels (role, URLs) that cluster commands read."),
    );
    s.blocks.insert("connection".into(), connection());
    s
}

fn env() -> Type {
    Type::Map(Box::new(Type::String))
}

pub fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        use Presence::*;
        let mut p = ProviderSchema::default();
        p.resources.insert(
            "host_file".into(),
            resource(
                "A file on the host.",
                vec![
                    ("path", attr(Type::String, Required, true, "Where the file lives.")),
                    ("content", attr(Type::String, Optional, false, "The file's text.")),
                    ("source", attr(Type::String, Optional, false, "A local file to copy instead of content.")),
                    ("mode", attr(Type::String, Optional, false, "Permissions in octal, default 0644.")),
                    ("sha256", attr(Type::String, Computed, false, "Checksum of what is on the host.")),
                ],
            ),
        );
        p.resources.insert(
            "host_command".into(),
            resource(
                "A command run once on create, and optionally another on destroy.",
                vec![
                    ("command", attr(Type::String, Required, true, "Run with sh -c on create.")),
                    ("destroy_command", attr(Type::String, Optional, false, "Run with sh -c on destroy.")),
                    ("triggers", attr(Type::Any, Optional, true, "Any change here runs the command again.")),
                    ("working_dir", attr(Type::String, Optional, true, "Directory to run in.")),
                    ("environment", attr(env(), Optional, true, "Extra environment variables.")),
                    ("stdout", attr(Type::String, Computed, false, "What the command printed.")),
                    ("exit_code", attr(Type::Number, Computed, false, "The command's exit code (0).")),
                ],
            ),
        );
        p.resources.insert(
            "host_service".into(),
            resource(
                "A long-running process, started detached and stopped on destroy.",
                vec![
                    ("command", attr(Type::String, Required, true, "Run with sh -c, kept running.")),
                    (
                        "triggers",
                        attr(
                            Type::Any,
                            Optional,
                            true,
                            "Any change here restarts it (say, its config files' checksums).",
                        ),
                    ),
                    ("working_dir", attr(Type::String, Optional, true, "Directory to run in.")),
                    ("environment", attr(env(), Optional, true, "Extra environment variables.")),
                    ("log_file", attr(Type::String, Optional, true, "Where its output goes (default: discarded).")),
                    (
                        "ready_port",
                        attr(Type::Number, Optional, true, "A TCP port that accepts connections once it is up."),
                    ),
                    (
                        "ready_command",
                        attr(
                            Type::String,
                            Optional,
                            false,
                            "Run on the host (sh -c) once ready_port answers, until it succeeds: it is up when this says so (say, registered with its master).",
                        ),
                    ),
                    (
                        "ready_timeout",
                        attr(Type::Number, Optional, false, "Seconds to wait for ready_port and ready_command (default 60)."),
                    ),
                    ("pid", attr(Type::Number, Computed, false, "Process id (and process group) of the service.")),
                ],
            ),
        );
        let mut inv =
            ResourceSchema { description: "Hosts declared in a YAML inventory.", ..ResourceSchema::default() };
        inv.attributes.insert("path".into(), attr(Type::String, Required, false, "The inventory file."));
        inv.attributes.insert("cluster".into(), attr(Type::String, Optional, false, "Only hosts of this cluster."));
        inv.attributes.insert("id".into(), attr(Type::String, Computed, false, "The inventory file."));
        inv.attributes
            .insert("names".into(), attr(Type::List(Box::new(Type::String)), Computed, false, "Host names, sorted."));
        inv.attributes.insert(
            "managers".into(),
            attr(Type::List(Box::new(Type::String)), Computed, false, "Hosts with service = manager."),
        );
        inv.attributes.insert(
            "workers".into(),
            attr(Type::List(Box::new(Type::String)), Computed, false, "Hosts with service = worker."),
        );
        inv.attributes.insert("hosts".into(), attr(Type::Any, Computed, false, "Each host's fields by name."));
        p.data_sources.insert("host_inventory".into(), inv);
        p.data_sources.insert(
            "host_probe".into(),
            resource(
                "A read-only command run on the host while planning.",
                vec![
                    ("command", attr(Type::String, Required, false, "Run with sh -c; must not change the host.")),
                    ("working_dir", attr(Type::String, Optional, false, "Directory to run in.")),
                    ("environment", attr(env(), Optional, false, "Extra environment variables.")),
                    ("stdout", attr(Type::String, Computed, false, "What the command printed.")),
                    ("exit_code", attr(Type::Number, Computed, false, "Its exit code (non-zero is not an error).")),
                ],
            ),
        );
        p
    })
}
