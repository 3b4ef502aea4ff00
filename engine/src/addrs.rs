//! Typed addresses: modules, resources and resource instances, printed and parsed the way
//! Terraform writes them (`module.etl["a"].terraform_data.node["x"]`).

use std::fmt;

use crate::eval::Value;

/// The key of one instance of a resource or module: none (no `count`/`for_each`),
/// a `count` index, or a `for_each` key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl InstanceKey {
    /// The key as a value (`count.index` or `each.key`).
    pub fn to_value(&self) -> Value {
        match self {
            InstanceKey::None => Value::Null,
            InstanceKey::Int(i) => Value::from(*i),
            InstanceKey::Str(s) => Value::from(s.as_str()),
        }
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote(s)),
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// One step of a module instance path: `module.NAME[KEY]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleStep {
    pub name: String,
    pub key: InstanceKey,
}

/// A module instance: empty for the root module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ModuleInstance(pub Vec<ModuleStep>);

impl ModuleInstance {
    pub fn root() -> ModuleInstance {
        ModuleInstance(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, name: &str, key: InstanceKey) -> ModuleInstance {
        let mut steps = self.0.clone();
        steps.push(ModuleStep { name: name.to_string(), key });
        ModuleInstance(steps)
    }

    /// The static module path, keys dropped: `["etl", "inner"]`.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|s| s.name.as_str()).collect()
    }

    /// The static module path, keys dropped, as owned names (what `module_at` takes).
    pub fn path(&self) -> Vec<String> {
        self.0.iter().map(|s| s.name.clone()).collect()
    }

    /// True when `self` is `other` or lies inside it.
    pub fn is_within(&self, other: &ModuleInstance) -> bool {
        self.0.len() >= other.0.len() && self.0[..other.0.len()] == other.0[..]
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{}{}", step.name, step.key)?;
        }
        Ok(())
    }
}

/// Managed resources (`resource`) or data sources (`data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceMode {
    Managed,
    Data,
}

/// A resource within its module: `terraform_data.node` or `data.x.y`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == ResourceMode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// A resource in a module instance, all its instances together.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbsResource {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
}

impl AbsResource {
    pub fn instance(&self, key: InstanceKey) -> ResourceInstanceAddr {
        ResourceInstanceAddr { module: self.module.clone(), resource: self.resource.clone(), key }
    }
}

impl fmt::Display for AbsResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)
    }
}

/// One instance of a resource: the unit the plan, apply and state deal in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceInstanceAddr {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl ResourceInstanceAddr {
    pub fn resource(&self) -> AbsResource {
        AbsResource { module: self.module.clone(), resource: self.resource.clone() }
    }
}

impl fmt::Display for ResourceInstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource(), self.key)
    }
}

/// What a user may name on the command line (`-target`, `state rm`, `state mv`):
/// a module instance, a whole resource, or one resource instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Module(ModuleInstance),
    Resource(AbsResource),
    Instance(ResourceInstanceAddr),
}

impl Target {
    /// Whether this target selects the given instance.
    pub fn selects(&self, addr: &ResourceInstanceAddr) -> bool {
        match self {
            Target::Module(m) => addr.module.is_within(m),
            Target::Resource(r) => addr.module == r.module && addr.resource == r.resource,
            Target::Instance(i) => i == addr,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(m) => write!(f, "{m}"),
            Target::Resource(r) => write!(f, "{r}"),
            Target::Instance(i) => write!(f, "{i}"),
        }
    }
}

/// An address that does not parse; the message says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid address {input:?}: {message}")]
pub struct AddrParseError {
    pub input: String,
    pub message: String,
}

impl std::str::FromStr for Target {
    type Err = AddrParseError;

    fn from_str(s: &str) -> Result<Target, AddrParseError> {
        AddrParser { input: s, rest: s }.target()
    }
}

impl std::str::FromStr for ResourceInstanceAddr {
    type Err = AddrParseError;

    fn from_str(s: &str) -> Result<ResourceInstanceAddr, AddrParseError> {
        match s.parse::<Target>()? {
            Target::Instance(i) => Ok(i),
            Target::Resource(r) => Ok(r.instance(InstanceKey::None)),
            Target::Module(_) => {
                Err(AddrParseError { input: s.to_string(), message: "a module is not a resource instance".into() })
            }
        }
    }
}

struct AddrParser<'a> {
    input: &'a str,
    rest: &'a str,
}

impl<'a> AddrParser<'a> {
    fn err(&self, message: impl Into<String>) -> AddrParseError {
        AddrParseError { input: self.input.to_string(), message: message.into() }
    }

    fn target(mut self) -> Result<Target, AddrParseError> {
        let mut module = ModuleInstance::root();
        loop {
            let name = self.ident()?;
            match name {
                "module" => {
                    self.dot()?;
                    let m = self.ident()?.to_string();
                    let key = self.key()?;
                    module.0.push(ModuleStep { name: m, key });
                    if self.rest.is_empty() {
                        return Ok(Target::Module(module));
                    }
                    self.dot()?;
                }
                _ => {
                    let (mode, type_name) = if name == "data" {
                        self.dot()?;
                        (ResourceMode::Data, self.ident()?)
                    } else {
                        (ResourceMode::Managed, name)
                    };
                    self.dot()?;
                    let rname = self.ident()?;
                    let resource = ResourceAddr { mode, type_name: type_name.to_string(), name: rname.to_string() };
                    let has_key = self.rest.starts_with('[');
                    let key = self.key()?;
                    if !self.rest.is_empty() {
                        return Err(self.err(format!("unexpected {:?} after the resource", self.rest)));
                    }
                    let abs = AbsResource { module, resource };
                    return Ok(if has_key { Target::Instance(abs.instance(key)) } else { Target::Resource(abs) });
                }
            }
        }
    }

    fn ident(&mut self) -> Result<&'a str, AddrParseError> {
        let end = self.rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(self.rest.len());
        if end == 0 {
            return Err(self.err("expected a name"));
        }
        let (id, rest) = self.rest.split_at(end);
        self.rest = rest;
        Ok(id)
    }

    fn dot(&mut self) -> Result<(), AddrParseError> {
        match self.rest.strip_prefix('.') {
            Some(r) => {
                self.rest = r;
                Ok(())
            }
            None => Err(self.err("expected \".\"")),
        }
    }

    fn key(&mut self) -> Result<InstanceKey, AddrParseError> {
        let Some(inner) = self.rest.strip_prefix('[') else {
            return Ok(InstanceKey::None);
        };
        if let Some(after_quote) = inner.strip_prefix('"') {
            // A JSON string literal up to its closing quote.
            let mut escaped = false;
            let end = after_quote
                .char_indices()
                .find(|&(_, c)| {
                    let close = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map(|(i, _)| i)
                .ok_or_else(|| self.err("unterminated string key"))?;
            let literal = &inner[..end + 2];
            let key: String = serde_json::from_str(literal).map_err(|_| self.err("invalid string key"))?;
            let after = &after_quote[end + 1..];
            self.rest = after.strip_prefix(']').ok_or_else(|| self.err("expected \"]\""))?;
            return Ok(InstanceKey::Str(key));
        }
        let close = inner.find(']').ok_or_else(|| self.err("expected \"]\""))?;
        let n = inner[..close]
            .trim()
            .parse::<i64>()
            .map_err(|_| self.err("an instance key is a number or a quoted string"))?;
        self.rest = &inner[close + 1..];
        Ok(InstanceKey::Int(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_nested_module_instance_addresses() {
        let s = r#"module.etl["a"].module.inner[0].terraform_data.node["x"]"#;
        let t: Target = s.parse().unwrap();
        assert_eq!(t.to_string(), s);
        assert!(matches!(t, Target::Instance(_)));
    }

    #[test]
    fn parses_data_resources_and_whole_resources() {
        let t: Target = "data.local_file.f".parse().unwrap();
        assert!(matches!(t, Target::Resource(ref r) if r.resource.mode == ResourceMode::Data));
        assert_eq!(t.to_string(), "data.local_file.f");
    }

    #[test]
    fn rejects_garbage() {
        assert!("terraform_data".parse::<Target>().is_err());
        assert!("a.b[".parse::<Target>().is_err());
        assert!("a.b.c".parse::<Target>().is_err());
    }
}
