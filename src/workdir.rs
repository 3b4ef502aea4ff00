//! The working directory of a command: its configuration, the variable values given for
//! it, its state backend, and the providers a run gets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use meshform_engine::config::{Expr, Loader, Module};
use meshform_engine::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use meshform_engine::graph::Graph;
use meshform_engine::provider::ProviderRegistry;
use meshform_engine::walk::{RawVariable, RunContext};

use crate::args::VarArgs;

/// Everything loaded from the working directory.
pub struct Workdir {
    pub dir: PathBuf,
    pub sources: SourceMap,
    /// The module tree as last loaded, so a command that needs it in several places (the
    /// backend block, then the run) parses its files once.
    loaded: Mutex<Option<(Arc<Module>, Diagnostics)>>,
}

impl Workdir {
    pub fn new(dir: PathBuf) -> Workdir {
        Workdir { dir, sources: SourceMap::new(), loaded: Mutex::new(None) }
    }

    /// Loads the module tree rooted here, with the modules `init` installed; loaded once
    /// per command unless [`Workdir::forget_config`] is called after its files change.
    pub fn load_config(&self) -> Result<(Arc<Module>, Diagnostics), Diagnostics> {
        if let Some(kept) = self.loaded.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(kept);
        }
        let installed = crate::modules::Installed::new(&self.dir)?;
        self.load_config_with(Arc::new(installed))
    }

    /// Drops the loaded module tree: the spec files changed.
    pub fn forget_config(&self) {
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Loads the module tree rooted here, finding remote modules through `resolver`; the
    /// tree is kept for the rest of the command, as [`Workdir::load_config`] keeps it.
    pub fn load_config_with(
        &self,
        resolver: Arc<dyn meshform_engine::config::ModuleResolver>,
    ) -> Result<(Arc<Module>, Diagnostics), Diagnostics> {
        let loader = Loader::new(self.sources.clone(), &self.dir).with_resolver(resolver);
        let (module, diags) = loader.load(&self.dir);
        if diags.has_errors() {
            return Err(diags);
        }
        let has_files = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(Result::ok).any(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    (n.ends_with(".tf") || n.ends_with(".hcl")) && !n.ends_with(".tfvars.hcl")
                })
            })
            .unwrap_or(false);
        if !has_files {
            return Err(Diagnostic::error("No configuration files")
                .with_detail(format!(
                    "There are no .hcl or .tf files in {}; meshform needs a configuration to work on.",
                    self.dir.display()
                ))
                .into());
        }
        let module = Arc::new(module);
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = Some((module.clone(), diags.clone()));
        Ok((module, diags))
    }

    /// Root variable values from every source, lowest priority first: environment,
    /// `terraform.tfvars`, `*.auto.tfvars` (and their `.hcl` forms), `-var-file`, `-var`.
    pub fn variables(
        &self,
        config: &Module,
        args: &VarArgs,
    ) -> Result<(BTreeMap<String, RawVariable>, Diagnostics), Diagnostics> {
        let mut vars = BTreeMap::new();
        let mut diags = Diagnostics::new();
        for (prefix, origin) in [("TF_VAR_", "environment"), ("MESHFORM_VAR_", "environment")] {
            for (k, v) in std::env::vars() {
                if let Some(name) = k.strip_prefix(prefix)
                    && config.variables.contains_key(name)
                {
                    vars.insert(
                        name.to_string(),
                        RawVariable::Literal { text: v, origin: format!("{origin} variable {k}") },
                    );
                }
            }
        }
        let mut files = variable_files(&self.dir);
        files.extend(args.var_files.iter().map(|f| if f.is_absolute() { f.clone() } else { self.dir.join(f) }));
        for f in files {
            self.read_var_file(&f, config, &mut vars, &mut diags);
        }
        for v in &args.vars {
            let Some((name, value)) = v.split_once('=') else {
                diags.push(
                    Diagnostic::error("Invalid -var option")
                        .with_detail(format!("The given -var option {v:?} is not correctly specified. It must be a variable name and value separated by an equals sign, like -var=\"key=value\".")),
                );
                continue;
            };
            let name = name.trim();
            if !config.variables.contains_key(name) {
                let names: Vec<&str> = config.variables.keys().map(String::as_str).collect();
                let mut d = Diagnostic::error("Value for undeclared variable").with_detail(format!(
                    "A variable named \"{name}\" was assigned on the command line, but the root module does not declare a variable of that name."
                ));
                if let Some(h) = meshform_engine::config::load::closest(name, &names) {
                    d = d.with_help(format!("did you mean -var {h}=...?"));
                }
                diags.push(d);
                continue;
            }
            vars.insert(
                name.to_string(),
                RawVariable::Literal { text: value.to_string(), origin: format!("-var {name}=...") },
            );
        }
        if diags.has_errors() { Err(diags) } else { Ok((vars, diags)) }
    }

    /// Values from the variable files in `dir` alone (`terraform.tfvars`, `*.auto.tfvars`,
    /// and their `.hcl` forms), as `terraform test` reads its test directory's.
    pub fn variable_files_in(
        &self,
        dir: &Path,
        config: &Module,
    ) -> Result<(BTreeMap<String, RawVariable>, Diagnostics), Diagnostics> {
        let files = variable_files(dir);
        let (mut vars, mut diags) = (BTreeMap::new(), Diagnostics::new());
        for f in files {
            self.read_var_file(&f, config, &mut vars, &mut diags);
        }
        if diags.has_errors() { Err(diags) } else { Ok((vars, diags)) }
    }

    fn read_var_file(
        &self,
        path: &Path,
        config: &Module,
        vars: &mut BTreeMap<String, RawVariable>,
        diags: &mut Diagnostics,
    ) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(
                    Diagnostic::error("Failed to read variables file").with_detail(format!("{}: {e}", path.display())),
                );
                return;
            }
        };
        let loader = Loader::new(self.sources.clone(), &self.dir);
        let (file, parsed) = loader.parse_file(path, text);
        let body = match parsed {
            Ok(b) => b,
            Err(d) => {
                diags.push(d);
                return;
            }
        };
        use hcl_edit::Span as _;
        for s in body.iter() {
            match s {
                hcl_edit::structure::Structure::Attribute(a) => {
                    let name = a.key.as_str();
                    let span = Span::from_opt(file, a.key.span());
                    if !config.variables.contains_key(name) {
                        diags.push(
                            Diagnostic::warning("Value for undeclared variable")
                                .with_detail(format!("The root module does not declare a variable named \"{name}\"; this value is ignored."))
                                .with_span(span),
                        );
                        continue;
                    }
                    vars.insert(name.to_string(), RawVariable::Expr(Expr { file, expr: Arc::new(a.value.clone()) }));
                }
                hcl_edit::structure::Structure::Block(b) => {
                    diags.push(
                        Diagnostic::error("Unexpected block in variables file")
                            .with_detail("A variables file holds only `name = value` lines.")
                            .with_span(Span::from_opt(file, b.ident.span())),
                    );
                }
            }
        }
    }
}

/// The variable files of a directory, in the order they apply: `terraform.tfvars`,
/// `meshform.tfvars` (and their `.hcl` forms), then `*.auto.tfvars` by name.
fn variable_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        ["terraform.tfvars", "terraform.tfvars.hcl", "meshform.tfvars", "meshform.tfvars.hcl"]
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| p.is_file())
            .collect();
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    let n = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                    n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.hcl")
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    files
}

/// The providers meshform ships.
pub fn registry() -> ProviderRegistry {
    let mut r = ProviderRegistry::new();
    #[cfg(feature = "aws")]
    r.register(meshform_provider_aws::NAME, meshform_provider_aws::factory);
    r.register(meshform_provider_builtin::NAME, meshform_provider_builtin::factory);
    r.register(meshform_provider_host::NAME, meshform_provider_host::factory);
    #[cfg(feature = "kubernetes")]
    r.register(meshform_provider_kubernetes::NAME, meshform_provider_kubernetes::factory);
    r.register(meshform_provider_template::NAME, meshform_provider_template::factory);
    r
}

/// Builds the fixed inputs of a run, with every provider configured from the root
/// module's `provider` blocks.
pub async fn run_context(
    wd: &Workdir,
    config: Arc<Module>,
    graph: Graph,
    variables: BTreeMap<String, RawVariable>,
    parallelism: usize,
    interrupted: Arc<AtomicBool>,
) -> Result<RunContext, meshform_engine::diag::Diagnostics> {
    let mut ctx = RunContext {
        config,
        graph,
        providers: BTreeMap::new(),
        root_variables: variables,
        cwd: wd.dir.clone(),
        parallelism,
        interrupted,
        workspace: current_workspace(&wd.dir),
        sources: wd.sources.clone(),
        overrides: BTreeMap::new(),
    };
    ctx.providers = meshform_engine::configure::configure(&ctx, &registry()).await?;
    Ok(ctx)
}

/// Where `workspace select` records its choice.
const ENVIRONMENT_FILE: &str = ".meshform/environment";

/// The workspace a command in `dir` works on: `MESHFORM_WORKSPACE` (or `TF_WORKSPACE`),
/// else the one `workspace select` chose, else `default`.
pub fn current_workspace(dir: &Path) -> String {
    for var in ["MESHFORM_WORKSPACE", "TF_WORKSPACE"] {
        if let Ok(w) = std::env::var(var)
            && !w.trim().is_empty()
        {
            return w.trim().to_string();
        }
    }
    std::fs::read_to_string(dir.join(ENVIRONMENT_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// Remembers the selected workspace.
pub fn select_workspace(dir: &Path, name: &str) -> Result<(), Diagnostics> {
    let path = dir.join(ENVIRONMENT_FILE);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Diagnostic::error(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(&path, format!("{name}\n"))
        .map_err(|e| Diagnostic::error(format!("cannot write {}: {e}", path.display())).into())
}
