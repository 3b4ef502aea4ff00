//! The working directory's state backend: what its configuration's backend block and
//! selected workspace say, handed to `meshform-backend`, and what that gives back shown.

use std::time::Duration;

use meshform_backend::BackendConfig;
use meshform_engine::diag::Diagnostics;

pub use meshform_backend::{Backend, Lock, check_workspace_name};

use crate::workdir::Workdir;

/// What the root module's backend block says (local when there is none, or when the
/// directory has no configuration files).
fn config_of(wd: &Workdir) -> Result<BackendConfig, Diagnostics> {
    let block = match wd.load_config() {
        Ok((config, _)) => config.backend.clone(),
        Err(d) if d.0.iter().any(|x| x.summary == "No configuration files") => None,
        Err(d) => return Err(d),
    };
    BackendConfig::of(block.as_ref(), &wd.dir)
}

/// The backend the working directory's configuration names, on the current workspace.
pub async fn open(wd: &Workdir) -> Result<Backend, Diagnostics> {
    let workspace = crate::workdir::current_workspace(&wd.dir);
    Backend::open(&wd.dir, &workspace, &config_of(wd)?, false).await
}

/// `init`'s backend: checked again, and its state copied over (`migrate`) or left behind
/// (`reconfigure`) when the configuration names another one than the last run used.
pub async fn init(wd: &Workdir, migrate: bool, reconfigure: bool) -> Result<Backend, Diagnostics> {
    let workspace = crate::workdir::current_workspace(&wd.dir);
    let providers = adopting_providers().await;
    let (backend, copied) =
        Backend::init(&wd.dir, &workspace, &config_of(wd)?, migrate, reconfigure, &providers).await?;
    for line in copied {
        println!("{line}");
    }
    Ok(backend)
}

/// Takes the state lock, saying so when it was taken over from a run that is gone.
pub async fn lock(backend: &Backend, operation: &str, timeout: Duration) -> Result<Lock, Diagnostics> {
    let lock = backend.lock(operation, timeout).await?;
    if let Some(old) = lock.took_over() {
        eprintln!("Warning: took over the state lock of a run that is gone: {old}");
    }
    Ok(lock)
}

/// The state for a command that will write it (the lock held), creates of an interrupted
/// apply adopted through the providers unconfigured.
pub async fn load_for_update(backend: &Backend) -> Result<(meshform_engine::state::State, Diagnostics), Diagnostics> {
    backend.load_for_update(&adopting_providers().await).await
}

/// The providers that adopt what an interrupted apply made, for commands that configure
/// none of their own.
async fn adopting_providers() -> meshform_engine::configure::Providers {
    meshform_engine::configure::unconfigured(&crate::workdir::registry()).await
}
