//! Saved plans (`plan -out=FILE`, `apply FILE`). A plan file records what the plan was
//! made from (state lineage and serial, a digest of the configuration, the variable values
//! as written, the options) and the actions it decided. Applying it plans again from the
//! same inputs and refuses to go on if anything differs, so what is applied is exactly
//! what was reviewed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::plan::{Plan, PlanMode, PlanOptions};
use meshform_engine::state::State;
use meshform_engine::walk::{RawVariable, RunContext};

use crate::args::PlanFlags;
use crate::workdir::Workdir;

const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Debug)]
pub struct SavedPlan {
    format_version: u32,
    meshform_version: String,
    /// Empty when the plan was made with no state yet.
    lineage: String,
    serial: u64,
    mode: PlanMode,
    config_digest: String,
    variables: BTreeMap<String, SavedVariable>,
    targets: Vec<String>,
    replace: Vec<String>,
    refresh: bool,
    parallelism: usize,
    changes: Vec<SavedChange>,
    /// The plan as shown to a person (no colour), for `show FILE`.
    rendered: String,
    /// The plan in Terraform's plan JSON shape, for `show -json FILE`.
    plan_json: serde_json::Value,
}

#[derive(Serialize, Deserialize, Debug)]
struct SavedVariable {
    /// `literal` (a -var string) or `expression` (HCL text from a variables file).
    kind: String,
    text: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct SavedChange {
    address: String,
    actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_address: Option<String>,
}

fn changes_of(p: &Plan) -> Vec<SavedChange> {
    p.changes
        .iter()
        .map(|c| SavedChange {
            address: c.addr.to_string(),
            actions: c.action.json_actions().iter().map(|s| s.to_string()).collect(),
            previous_address: c.previous.as_ref().map(ToString::to_string),
        })
        .collect()
}

/// A digest of every configuration file of the module tree, in load order.
fn config_digest(wd: &Workdir) -> String {
    let mut h = Sha256::new();
    let mut i = 0;
    while let Some(f) = wd.sources.get(meshform_engine::diag::FileId(i)) {
        if f.name != "<plan variable>" {
            h.update(f.name.as_bytes());
            h.update([0]);
            h.update(f.text.as_bytes());
            h.update([0]);
        }
        i += 1;
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn binding(state: &State) -> (String, u64) {
    if state.serial == 0 { (String::new(), 0) } else { (state.lineage.clone(), state.serial) }
}

pub fn save(
    path: &Path,
    wd: &Workdir,
    ctx: &RunContext,
    p: &Plan,
    flags: &PlanFlags,
    destroy: bool,
) -> Result<(), Diagnostics> {
    let variables = ctx
        .root_variables
        .iter()
        .map(|(k, v)| {
            let saved = match v {
                RawVariable::Literal { text, .. } => SavedVariable { kind: "literal".into(), text: text.clone() },
                RawVariable::Expr(e) => {
                    let span = e.span();
                    let text =
                        wd.sources.get(e.file).map(|f| f.text.get(span.start..span.end).unwrap_or("null").to_string());
                    SavedVariable { kind: "expression".into(), text: text.unwrap_or_else(|| "null".into()) }
                }
                // JSON is an HCL expression too.
                RawVariable::Value { value, .. } => SavedVariable {
                    kind: "expression".into(),
                    text: value.clone().unmark_deep().0.to_json().to_string(),
                },
            };
            (k.clone(), saved)
        })
        .collect();
    let (lineage, serial) = if p.serial == 0 { (String::new(), 0) } else { (p.lineage.clone(), p.serial) };
    let saved = SavedPlan {
        format_version: FORMAT_VERSION,
        meshform_version: env!("CARGO_PKG_VERSION").to_string(),
        lineage,
        serial,
        mode: if destroy { PlanMode::Destroy } else { p.mode },
        config_digest: config_digest(wd),
        variables,
        targets: flags.targets.clone(),
        replace: flags.replace.clone(),
        refresh: flags.refresh,
        parallelism: flags.parallelism,
        changes: changes_of(p),
        rendered: crate::render::plan(p, &crate::render::Style { color: false }, false),
        plan_json: crate::planjson::plan_json(p, &ctx.config, &variables_json(p)),
    };
    let text =
        serde_json::to_string_pretty(&saved).map_err(|e| Diagnostic::error(format!("Cannot encode the plan: {e}")))?;
    std::fs::write(path, text).map_err(|e| {
        Diagnostic::error("Failed to write plan file").with_detail(format!("{}: {e}", path.display())).into()
    })
}

fn variables_json(p: &Plan) -> serde_json::Map<String, serde_json::Value> {
    p.variables.iter().map(|(k, v)| (k.clone(), serde_json::json!({ "value": v.to_json() }))).collect()
}

/// How `show FILE` prints a saved plan.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PlanView {
    /// As `plan` showed it.
    Text,
    /// Terraform's plan JSON document.
    Json,
    /// A Markdown summary for a pull-request comment.
    Markdown,
}

/// What `show FILE` prints.
pub fn show(path: &Path, view: PlanView) -> Result<String, Diagnostics> {
    let saved = load(path)?;
    Ok(match view {
        PlanView::Text => saved.rendered,
        PlanView::Json => serde_json::to_string(&saved.plan_json).unwrap_or_default() + "\n",
        PlanView::Markdown => crate::planmd::render(&saved.plan_json),
    })
}

/// The instances a saved plan touches, for `graph -plan=FILE`: each with the host its
/// connection reaches and its action, as Terraform's plan JSON names it (`create`,
/// `update`, `delete`, `replace`, `read`; None for no-op).
pub fn drawn_instances(path: &Path) -> Result<Vec<meshform_engine::graph::DrawnInstance>, Diagnostics> {
    let saved = load(path)?;
    let changes = saved.plan_json.get("resource_changes").and_then(|c| c.as_array()).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for c in changes {
        let Some(addr) = c.get("address").and_then(|a| a.as_str()).and_then(|a| a.parse().ok()) else { continue };
        let change = &c["change"];
        let actions: Vec<&str> =
            change["actions"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
        let action = match actions.as_slice() {
            ["no-op"] | [] => None,
            [one] => Some(one.to_string()),
            _ => Some("replace".to_string()),
        };
        let host = ["after", "before"]
            .iter()
            .find_map(|side| change[side].pointer("/connection/host").and_then(|h| h.as_str()))
            .map(str::to_string);
        out.push(meshform_engine::graph::DrawnInstance { addr, host, action });
    }
    Ok(out)
}

/// Reads a plan file as JSON.
fn read(path: &Path) -> Result<serde_json::Value, Diagnostics> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::error("Failed to read plan file").with_detail(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Diagnostic::error("Invalid plan file").with_detail(format!("{}: {e}", path.display())).into())
}

fn load(path: &Path) -> Result<SavedPlan, Diagnostics> {
    let value = read(path)?;
    let saved: SavedPlan = serde_json::from_value(value).map_err(|e| {
        Diagnostic::error("Invalid plan file")
            .with_detail(format!("{} is not a meshform plan file: {e}", path.display()))
    })?;
    if saved.format_version > FORMAT_VERSION {
        return Err(Diagnostic::error("Unsupported plan file")
            .with_detail(format!(
                "{} was written by a newer meshform (format {}).",
                path.display(),
                saved.format_version
            ))
            .into());
    }
    Ok(saved)
}

/// Parses addresses given on the command line or saved in a plan.
pub fn parse_all<T: std::str::FromStr<Err = meshform_engine::addrs::AddrParseError>>(
    list: &[String],
) -> Result<Vec<T>, Diagnostics> {
    list.iter()
        .map(|s| {
            s.parse().map_err(|e: meshform_engine::addrs::AddrParseError| {
                Diagnostics::from(Diagnostic::error(e.to_string()))
            })
        })
        .collect()
}

/// A plan file loaded, with the run it was made for set up again from the same inputs.
pub struct Reloaded {
    pub ctx: Arc<RunContext>,
    saved: SavedPlan,
}

/// Loads a plan file and sets up its run; refuses when the configuration changed since.
pub async fn load_context(path: &Path, wd: &Workdir, interrupted: Arc<AtomicBool>) -> Result<Reloaded, Diagnostics> {
    let saved = load(path)?;
    let (config, _) = wd.load_config()?;
    if config_digest(wd) != saved.config_digest {
        return Err(Diagnostic::error("Saved plan does not match the configuration")
            .with_detail("The configuration files changed since the plan was created.")
            .with_help("run meshform plan again")
            .into());
    }
    let graph = meshform_engine::graph::Graph::build(&config)?;
    let mut vars = BTreeMap::new();
    for (name, v) in &saved.variables {
        let raw = if v.kind == "literal" {
            RawVariable::Literal { text: v.text.clone(), origin: "the plan file".into() }
        } else {
            RawVariable::Expr(meshform_engine::config::parse_expression(&wd.sources, "<plan variable>", &v.text)?)
        };
        vars.insert(name.clone(), raw);
    }
    let ctx = crate::workdir::run_context(wd, config, graph, vars, saved.parallelism.max(1), interrupted).await?;
    Ok(Reloaded { ctx: Arc::new(ctx), saved })
}

impl Reloaded {
    /// Checks the plan still fits the state and plans again from the same inputs;
    /// refuses when the outcome differs from what was saved.
    pub async fn replan(&self, state: &State) -> Result<Plan, Diagnostics> {
        let saved = &self.saved;
        if binding(state) != (saved.lineage.clone(), saved.serial) {
            return Err(Diagnostic::error("Saved plan is stale")
                .with_detail(format!(
                    "The given plan file can no longer be applied because the state was changed by another operation after the plan was created (plan made from serial {}, state is now at serial {}).",
                    saved.serial, state.serial
                ))
                .with_help("run meshform plan again")
                .into());
        }
        let opts = PlanOptions {
            mode: saved.mode,
            targets: parse_all(&saved.targets)?,
            replace: parse_all(&saved.replace)?,
            refresh: saved.refresh,
        };
        let p = meshform_engine::plan::plan(self.ctx.clone(), state, opts).await?;
        if changes_of(&p) != saved.changes {
            return Err(Diagnostic::error("Saved plan no longer matches")
                .with_detail("Planning again from the same inputs gives different actions: the real infrastructure changed since the plan was created.")
                .with_help("run meshform plan again")
                .into());
        }
        Ok(p)
    }
}
