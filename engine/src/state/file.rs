//! The state file's JSON form: Terraform-like (`resources` grouped by resource, each with
//! its `instances`), plus each instance's attribute types so values read back exactly.

use serde_json::{Map, Value as J, json};

use super::codec::{decode, encode, mark_paths, sensitive_paths};
use super::{OutputState, ResourceInstanceState, State};
use crate::addrs::{
    AbsResource, InstanceKey, ModuleInstance, ResourceAddr, ResourceInstanceAddr, ResourceMode, Target,
};

/// The newest format this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// One instance as the journal and the state file write it.
pub fn instance_json(addr: &ResourceInstanceAddr, inst: &ResourceInstanceState) -> J {
    let (attributes, types) = encode(&inst.value);
    let mut o = Map::new();
    match &addr.key {
        InstanceKey::None => {}
        k => {
            o.insert("index_key".into(), k.to_value().to_json());
        }
    }
    o.insert("attributes".into(), attributes);
    o.insert("attribute_types".into(), types);
    o.insert("sensitive_attributes".into(), J::Array(sensitive_paths(&inst.value)));
    o.insert("dependencies".into(), J::Array(inst.dependencies.iter().map(|d| J::String(d.to_string())).collect()));
    o.insert("create_before_destroy".into(), J::Bool(inst.create_before_destroy));
    J::Object(o)
}

/// Writes the state as JSON text without building it whole in memory: the frame is
/// indented, each output and each instance is one compact line, so a large state stays
/// cheap to write and easy to diff.
pub fn write_text(state: &State, w: &mut impl std::io::Write) -> std::io::Result<()> {
    let text = |j: &J| serde_json::to_string(j).unwrap_or_else(|_| "null".into());
    writeln!(w, "{{")?;
    writeln!(w, "  \"format_version\": {FORMAT_VERSION},")?;
    writeln!(w, "  \"meshform_version\": {},", text(&J::String(env!("CARGO_PKG_VERSION").into())))?;
    writeln!(w, "  \"serial\": {},", state.serial)?;
    writeln!(w, "  \"lineage\": {},", text(&J::String(state.lineage.clone())))?;
    write!(w, "  \"outputs\": {{")?;
    for (i, (k, o)) in state.outputs.iter().enumerate() {
        let (value, ty) = encode(&o.value);
        let ty = o.null_types.clone().unwrap_or(ty);
        let sep = if i == 0 { "" } else { "," };
        write!(
            w,
            "{sep}\n    {}: {}",
            text(&J::String(k.clone())),
            text(&json!({"value": value, "type": ty, "sensitive": o.sensitive}))
        )?;
    }
    writeln!(w, "{}}},", if state.outputs.is_empty() { "" } else { "\n  " })?;
    write!(w, "  \"resources\": [")?;
    let mut current: Option<AbsResource> = None;
    for (addr, inst) in &state.resources {
        let res = addr.resource();
        if current.as_ref() != Some(&res) {
            if current.is_some() {
                write!(w, "\n      ]\n    }},")?;
            }
            let mut head = Map::new();
            if !res.module.is_root() {
                head.insert("module".into(), J::String(res.module.to_string()));
            }
            let mode = if res.resource.mode == ResourceMode::Data { "data" } else { "managed" };
            head.insert("mode".into(), J::String(mode.into()));
            head.insert("type".into(), J::String(res.resource.type_name.clone()));
            head.insert("name".into(), J::String(res.resource.name.clone()));
            head.insert("provider".into(), J::String(inst.provider.clone()));
            let head = text(&J::Object(head));
            write!(w, "\n    {},\n      \"instances\": [", &head[..head.len() - 1])?;
            write!(w, "\n        {}", text(&instance_json(addr, inst)))?;
            current = Some(res);
        } else {
            write!(w, ",\n        {}", text(&instance_json(addr, inst)))?;
        }
    }
    if current.is_some() {
        write!(w, "\n      ]\n    }}\n  ")?;
    }
    if state.unadopted.is_empty() {
        writeln!(w, "]")?;
    } else {
        writeln!(w, "],")?;
        writeln!(w, "  \"unadopted_creates\": {}", text(&unadopted_json(state)))?;
    }
    writeln!(w, "}}")
}

/// The creates whose object was not found, by address: their intent ids.
fn unadopted_json(state: &State) -> J {
    J::Object(state.unadopted.iter().map(|(a, id)| (a.to_string(), J::String(id.clone()))).collect())
}

fn read_unadopted(j: &J, state: &mut State) -> Result<(), String> {
    let entries = j.as_object().ok_or("\"unadopted_creates\" must be an object")?;
    for (addr, id) in entries {
        let parsed = addr.parse().map_err(|_| format!("unadopted_creates: invalid address {addr:?}"))?;
        let id = id.as_str().ok_or_else(|| format!("unadopted_creates[{addr:?}] must be a string"))?;
        state.unadopted.insert(parsed, id.to_string());
    }
    Ok(())
}

/// The state's text, read back before anyone may store it: a state that would not read
/// back equal to `state` (so the next command could not load it, or would load something
/// else) is refused with what differs, and the previous state stays where it is.
pub fn checked_text(state: &State) -> Result<Vec<u8>, String> {
    let mut text = Vec::new();
    write_text(state, &mut text).map_err(|e| e.to_string())?;
    let back = std::str::from_utf8(&text)
        .map_err(|e| e.to_string())
        .and_then(|t| from_text(t).map_err(|(TextError::Syntax(m) | TextError::Content(m))| m))?;
    match first_difference(state, &back) {
        None => Ok(text),
        Some(what) => Err(format!("{what} does not read back as it was written")),
    }
}

/// Names the first part of `a` that `b` does not hold equal.
fn first_difference(a: &State, b: &State) -> Option<String> {
    if a == b {
        return None;
    }
    if let Some(name) = a.outputs.keys().chain(b.outputs.keys()).find(|k| a.outputs.get(*k) != b.outputs.get(*k)) {
        return Some(format!("output {name:?}"));
    }
    if let Some(addr) =
        a.resources.keys().chain(b.resources.keys()).find(|k| a.resources.get(*k) != b.resources.get(*k))
    {
        return Some(addr.to_string());
    }
    if a.unadopted != b.unadopted {
        return Some("the unadopted creates".into());
    }
    Some("the state's serial or lineage".into())
}

/// The whole state as a JSON value.
pub fn to_json(state: &State) -> J {
    let outputs: Map<String, J> = state
        .outputs
        .iter()
        .map(|(k, o)| {
            let (value, ty) = encode(&o.value);
            (k.clone(), json!({"value": value, "type": ty, "sensitive": o.sensitive}))
        })
        .collect();
    let mut resources: Vec<J> = Vec::new();
    let mut current: Option<(AbsResource, Map<String, J>, Vec<J>)> = None;
    for (addr, inst) in &state.resources {
        let res = addr.resource();
        if current.as_ref().is_none_or(|(r, _, _)| *r != res) {
            if let Some((_, mut head, instances)) = current.take() {
                head.insert("instances".into(), J::Array(instances));
                resources.push(J::Object(head));
            }
            let mut head = Map::new();
            if !res.module.is_root() {
                head.insert("module".into(), J::String(res.module.to_string()));
            }
            let mode = if res.resource.mode == ResourceMode::Data { "data" } else { "managed" };
            head.insert("mode".into(), J::String(mode.into()));
            head.insert("type".into(), J::String(res.resource.type_name.clone()));
            head.insert("name".into(), J::String(res.resource.name.clone()));
            head.insert("provider".into(), J::String(inst.provider.clone()));
            current = Some((res, head, Vec::new()));
        }
        if let Some((_, _, instances)) = current.as_mut() {
            instances.push(instance_json(addr, inst));
        }
    }
    if let Some((_, mut head, instances)) = current.take() {
        head.insert("instances".into(), J::Array(instances));
        resources.push(J::Object(head));
    }
    let mut doc = json!({
        "format_version": FORMAT_VERSION,
        "meshform_version": env!("CARGO_PKG_VERSION"),
        "serial": state.serial,
        "lineage": state.lineage,
        "outputs": outputs,
        "resources": resources,
    });
    if !state.unadopted.is_empty()
        && let Some(o) = doc.as_object_mut()
    {
        o.insert("unadopted_creates".into(), unadopted_json(state));
    }
    doc
}

fn field<'a>(o: &'a J, name: &str, ctx: &str) -> Result<&'a J, String> {
    o.get(name).ok_or_else(|| format!("{ctx}: missing \"{name}\""))
}

fn string<'a>(o: &'a J, name: &str, ctx: &str) -> Result<&'a str, String> {
    field(o, name, ctx)?.as_str().ok_or_else(|| format!("{ctx}: \"{name}\" must be a string"))
}

/// Reads a state from JSON; any missing or ill-typed field is an error naming it.
pub fn from_json(doc: &J) -> Result<State, String> {
    let mut state = header(doc)?;
    let resources = field(doc, "resources", "state")?.as_array().ok_or("\"resources\" must be a list")?;
    for (i, r) in resources.iter().enumerate() {
        read_resource(r, i, &mut state)?;
    }
    if let Some(u) = doc.get("unadopted_creates") {
        read_unadopted(u, &mut state)?;
    }
    Ok(state)
}

/// Why a state text could not be read.
pub enum TextError {
    /// Not JSON at all: the message has line and column.
    Syntax(String),
    /// JSON, but not a state.
    Content(String),
}

/// The top level of a state file, resources left unparsed so they can be read one at a
/// time: a large state never exists twice in memory as a JSON tree.
#[derive(serde::Deserialize)]
struct Frame<'a> {
    format_version: Option<J>,
    serial: Option<J>,
    lineage: Option<J>,
    outputs: Option<J>,
    #[serde(borrow)]
    resources: Option<Vec<&'a serde_json::value::RawValue>>,
    unadopted_creates: Option<J>,
}

/// Reads a state from its text.
pub fn from_text(text: &str) -> Result<State, TextError> {
    let frame: Frame<'_> = serde_json::from_str(text)
        .map_err(|e| TextError::Syntax(format!("{} at line {}, column {}", e, e.line(), e.column())))?;
    let mut head = Map::new();
    for (k, v) in [
        ("format_version", frame.format_version),
        ("serial", frame.serial),
        ("lineage", frame.lineage),
        ("outputs", frame.outputs),
    ] {
        if let Some(v) = v {
            head.insert(k.to_string(), v);
        }
    }
    let mut state = header(&J::Object(head)).map_err(TextError::Content)?;
    let resources = frame.resources.ok_or_else(|| TextError::Content("state: missing \"resources\"".into()))?;
    for (i, raw) in resources.iter().enumerate() {
        let r: J = serde_json::from_str(raw.get()).map_err(|e| TextError::Content(format!("resources[{i}]: {e}")))?;
        read_resource(&r, i, &mut state).map_err(TextError::Content)?;
    }
    if let Some(u) = &frame.unadopted_creates {
        read_unadopted(u, &mut state).map_err(TextError::Content)?;
    }
    Ok(state)
}

/// Version, serial, lineage and outputs.
fn header(doc: &J) -> Result<State, String> {
    let version = field(doc, "format_version", "state")?.as_u64().ok_or("\"format_version\" must be a number")?;
    if version > FORMAT_VERSION {
        return Err(format!("TOO_NEW:{version}"));
    }
    let serial = field(doc, "serial", "state")?.as_u64().ok_or("\"serial\" must be a whole number")?;
    let lineage = string(doc, "lineage", "state")?.to_string();
    let mut state = State { lineage, serial, ..State::new() };
    let outputs = field(doc, "outputs", "state")?.as_object().ok_or("\"outputs\" must be an object")?;
    for (name, o) in outputs {
        let ctx = format!("output {name:?}");
        let value =
            decode(field(o, "value", &ctx)?, o.get("type").unwrap_or(&J::Null)).map_err(|e| format!("{ctx}: {e}"))?;
        let sensitive = o.get("sensitive").and_then(J::as_bool).unwrap_or(false);
        let written = o.get("type").cloned().unwrap_or(J::Null);
        let null_types = (written != encode(&value).1).then_some(written);
        state.outputs.insert(name.clone(), OutputState { value, sensitive, null_types });
    }
    Ok(state)
}

fn read_resource(r: &J, i: usize, state: &mut State) -> Result<(), String> {
    let ctx = format!("resources[{i}]");
    let module = match r.get("module").and_then(J::as_str) {
        None => ModuleInstance::root(),
        Some(m) => match m.parse::<Target>() {
            Ok(Target::Module(m)) => m,
            _ => return Err(format!("{ctx}: invalid module address {m:?}")),
        },
    };
    let mode = match string(r, "mode", &ctx)? {
        "managed" => ResourceMode::Managed,
        "data" => ResourceMode::Data,
        other => return Err(format!("{ctx}: unknown mode {other:?}")),
    };
    let res = AbsResource {
        module,
        resource: ResourceAddr {
            mode,
            type_name: string(r, "type", &ctx)?.to_string(),
            name: string(r, "name", &ctx)?.to_string(),
        },
    };
    let provider = string(r, "provider", &ctx)?.to_string();
    let instances =
        field(r, "instances", &ctx)?.as_array().ok_or_else(|| format!("{ctx}: \"instances\" must be a list"))?;
    for (j, inst) in instances.iter().enumerate() {
        let ictx = format!("{ctx}.instances[{j}]");
        let key = match inst.get("index_key") {
            None | Some(J::Null) => InstanceKey::None,
            Some(J::Number(n)) => InstanceKey::Int(n.as_i64().ok_or_else(|| format!("{ictx}: bad index_key"))?),
            Some(J::String(s)) => InstanceKey::Str(s.clone()),
            Some(_) => return Err(format!("{ictx}: bad index_key")),
        };
        let value = decode(field(inst, "attributes", &ictx)?, inst.get("attribute_types").unwrap_or(&J::Null))
            .map_err(|e| format!("{ictx}: {e}"))?;
        let marks = inst.get("sensitive_attributes").and_then(J::as_array).cloned().unwrap_or_default();
        let dependencies = inst
            .get("dependencies")
            .and_then(J::as_array)
            .map(|ds| ds.iter().filter_map(J::as_str).filter_map(parse_resource).collect())
            .unwrap_or_default();
        state.resources.insert(
            res.instance(key),
            ResourceInstanceState {
                provider: provider.clone(),
                value: mark_paths(value, &marks),
                dependencies,
                create_before_destroy: inst.get("create_before_destroy").and_then(J::as_bool).unwrap_or(false),
            },
        );
    }
    Ok(())
}

fn parse_resource(s: &str) -> Option<AbsResource> {
    match s.parse::<Target>().ok()? {
        Target::Resource(r) => Some(r),
        Target::Instance(i) => Some(i.resource()),
        Target::Module(_) => None,
    }
}

/// Reads one journal instance record back.
pub fn instance_from_json(
    addr: &ResourceInstanceAddr,
    provider: &str,
    inst: &J,
) -> Result<ResourceInstanceState, String> {
    let ctx = addr.to_string();
    let value = decode(field(inst, "attributes", &ctx)?, inst.get("attribute_types").unwrap_or(&J::Null))?;
    let marks = inst.get("sensitive_attributes").and_then(J::as_array).cloned().unwrap_or_default();
    Ok(ResourceInstanceState {
        provider: provider.to_string(),
        value: mark_paths(value, &marks),
        dependencies: inst
            .get("dependencies")
            .and_then(J::as_array)
            .map(|ds| ds.iter().filter_map(J::as_str).filter_map(parse_resource).collect())
            .unwrap_or_default(),
        create_before_destroy: inst.get("create_before_destroy").and_then(J::as_bool).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Value;

    fn sample() -> State {
        let mut s = State::new();
        s.serial = 7;
        let addr: ResourceInstanceAddr = "module.etl[\"a\"].terraform_data.node[\"x\"]".parse().unwrap();
        let dep: ResourceInstanceAddr = "terraform_data.base[0]".parse().unwrap();
        s.resources.insert(
            addr,
            ResourceInstanceState {
                provider: "terraform".into(),
                value: Value::object([
                    ("id", Value::from("abc")),
                    (
                        "input",
                        Value::object([
                            ("secret", Value::from("p").mark_sensitive()),
                            ("l", Value::List(vec![Value::from(1)])),
                        ]),
                    ),
                ]),
                dependencies: vec![dep.resource()],
                create_before_destroy: true,
            },
        );
        s.resources.insert(
            dep,
            ResourceInstanceState {
                provider: "terraform".into(),
                value: Value::object([
                    ("id", Value::from("b")),
                    ("input", Value::set(vec![Value::from("z"), Value::from("y")])),
                ]),
                dependencies: vec![],
                create_before_destroy: false,
            },
        );
        s.outputs.insert(
            "o".into(),
            OutputState {
                value: Value::Map(std::sync::Arc::new([("k".to_string(), Value::from(2))].into())),
                sensitive: true,
                null_types: None,
            },
        );
        s.unadopted.insert("aws_instance.web[1]".parse().unwrap(), "0b5c6f0e-intent".into());
        s
    }

    #[test]
    fn state_round_trips_through_its_text() {
        let s = sample();
        let text = checked_text(&s).unwrap();
        let text = std::str::from_utf8(&text).unwrap();
        assert!(text.contains("\"unadopted_creates\": {\"aws_instance.web[1]\":\"0b5c6f0e-intent\"}"), "{text}");
        assert!(from_text(text).is_ok_and(|back| back == s));
        let empty = checked_text(&State::new()).unwrap();
        assert!(!std::str::from_utf8(&empty).unwrap().contains("unadopted"), "written only when there is one");
    }

    #[test]
    fn state_round_trips_through_json() {
        let s = sample();
        let text = serde_json::to_string_pretty(&to_json(&s)).unwrap();
        let back = from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn missing_fields_are_named() {
        let mut doc = to_json(&sample());
        doc.as_object_mut().unwrap().remove("lineage");
        assert!(from_json(&doc).unwrap_err().contains("lineage"));
    }
}
