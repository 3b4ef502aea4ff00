//! Command-line arguments. Terraform's single-dash long flags (`-auto-approve`,
//! `-var x=1`, `-out=p`) are accepted as well as double-dash ones.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "meshform",
    version,
    about = "Declarative infrastructure for data clusters: plan and apply HCL specs",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Switch to this directory before doing anything else.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,

    /// Never use color in output.
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Prepare the working directory (checks the configuration loads).
    Init(InitArgs),
    /// Check the configuration for errors without touching state.
    Validate(ValidateArgs),
    /// Rewrite spec files in canonical format.
    Fmt(FmtArgs),
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the changes, from the configuration or a saved plan file.
    Apply(ApplyArgs),
    /// Delete everything the state records.
    Destroy(ApplyArgs),
    /// Show root output values.
    Output(OutputArgs),
    /// Show the state or a saved plan.
    Show(ShowArgs),
    /// Inspect and edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print the dependency graph as Graphviz DOT.
    Graph(GraphArgs),
    /// Evaluate expressions against the configuration and state, one per line of input.
    Console(ConsoleArgs),
    /// Work on a cluster the state records (a module with host resources).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Remove a lock left by a run that is gone.
    ForceUnlock(ForceUnlockArgs),
    /// Bring an existing object under management: `import ADDRESS ID`.
    Import(ImportArgs),
    /// Workspaces: one state each, in the configured backend.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Run the module's test files (`*.tftest.hcl` here and in `tests/`).
    Test(TestArgs),
    /// Print the version.
    Version,
}

#[derive(Args, Debug, Clone)]
pub struct TestArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Run only this test file, named as the output shows it (repeatable).
    #[arg(long = "filter", value_name = "FILE")]
    pub filter: Vec<String>,
    /// Where test files are besides the module's own directory.
    #[arg(long, value_name = "DIR", default_value = "tests")]
    pub test_directory: PathBuf,
    /// Show the plan or state of each run.
    #[arg(long)]
    pub verbose: bool,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
}

#[derive(Args, Debug, Default, Clone)]
pub struct VarArgs {
    /// Set a root variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variable values from a file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub input: bool,
    #[arg(long)]
    pub upgrade: bool,
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub backend: bool,
    /// Copy every workspace's state from the previous backend to the one configured now.
    #[arg(long)]
    pub migrate_state: bool,
    /// Use the backend configured now, leaving the previous one's state where it is.
    #[arg(long)]
    pub reconfigure: bool,
    /// Accepted for Terraform compatibility: -migrate-state never asks.
    #[arg(long)]
    pub force_copy: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    /// Machine-readable result.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct FmtArgs {
    /// Only check; exit 3 when a file would change.
    #[arg(long)]
    pub check: bool,
    /// Show the differences.
    #[arg(long)]
    pub diff: bool,
    /// Also format subdirectories.
    #[arg(long)]
    pub recursive: bool,
    /// Files or directories (default: the working directory).
    pub paths: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct PlanFlags {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Limit the plan to these addresses and what they depend on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Replace this instance even if nothing changed (repeatable).
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Read the real objects back before planning (default true).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub refresh: bool,
    /// Only record drift; change nothing.
    #[arg(long)]
    pub refresh_only: bool,
    /// How many provider operations run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Ask for missing variables interactively (default true on a terminal).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub input: bool,
    /// Wait this long for the state lock (e.g. 30s).
    #[arg(long = "lock-timeout", default_value = "0s")]
    pub lock_timeout: String,
    /// Take no state lock (dangerous).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub lock: bool,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Write the plan to this file for a later `apply FILE`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes (0: none, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
    /// One line per changed address instead of full diffs.
    #[arg(long)]
    pub summary: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// One line per changed address instead of full diffs.
    #[arg(long)]
    pub summary: bool,
    /// A plan file written by `plan -out` (apply only).
    pub plan_file: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    #[arg(long)]
    pub json: bool,
    /// Print a string output's raw value.
    #[arg(long)]
    pub raw: bool,
    pub name: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    #[arg(long)]
    pub json: bool,
    /// A saved plan as Markdown, for a pull-request comment.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// A plan file; without it the state is shown.
    pub file: Option<PathBuf>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum StateCommand {
    /// List the recorded resource instances.
    List { filters: Vec<String> },
    /// Show one recorded instance.
    Show { address: String },
    /// Forget instances without destroying them.
    Rm {
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Move an instance to another address.
    Mv { source: String, destination: String },
}

#[derive(Args, Debug, Clone)]
pub struct GraphArgs {
    /// Draw the instances of a saved plan, coloured by action, grouped by host.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// dot (Graphviz source, the default), or svg or png rendered with Graphviz's `dot`.
    #[arg(long, default_value = "dot")]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What to show: the resources and what they depend on, grouped by module (the
    /// default; their instances grouped by host where the state or -plan records them),
    /// or `full` (also `plan`, `apply`, `validate`): every variable, local, output and
    /// module call as well.
    #[arg(long = "type")]
    pub kind: Option<String>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum WorkspaceCommand {
    /// The workspaces, the current one marked with *.
    List,
    /// The current workspace.
    Show,
    /// Create a workspace (with an empty state) and switch to it.
    New { name: String },
    /// Switch to a workspace.
    Select { name: String },
    /// Delete a workspace's state; refused while it records resources, unless -force.
    Delete {
        name: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum ClusterCommand {
    /// Write NAME.hcl for a new cluster (a module call per layer), then plan and apply it
    /// after confirmation.
    Create(CreateArgs),
    /// Add hosts to a cluster: edit the host list in its spec, then plan and apply.
    Add(HostEditArgs),
    /// Remove hosts from a cluster: edit the host list in its spec, then plan and apply.
    Remove(HostEditArgs),
    /// The clusters the state records.
    List,
    /// A cluster's hosts and services, with the services' health.
    Info { name: String },
    /// Run a job: with spark-submit on the cluster's Spark master, or on YARN for a Hadoop
    /// cluster (a .jar with `hadoop jar`, a .py with spark-submit --master yarn); the
    /// driver's output streams here and the job's exit code is meshform's.
    Submit {
        name: String,
        /// A .py file, or a .jar (with -class).
        job: String,
        /// The main class of a .jar job.
        #[arg(long)]
        class: Option<String>,
        /// Where a Spark job runs: `yarn` on a Hadoop cluster's YARN (the default there
        /// for a .py job), else the cluster's Spark master.
        #[arg(long)]
        master: Option<String>,
        /// Arguments for the job.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a command on every host at once; output lines are prefixed with the host.
    Run {
        name: String,
        /// Only on the master host(s).
        #[arg(long)]
        master_only: bool,
        #[arg(trailing_var_arg = true, required = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// A shell on one host, or one command there.
    Ssh {
        name: String,
        host: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Copy HOST:REMOTE to a local file.
    Get { name: String, remote: String, local: String },
    /// Copy a local file to HOST:REMOTE.
    Put { name: String, local: String, remote: String },
    /// Copy a local file to the same path on every host.
    Copy { name: String, local: String, remote: String },
    /// Stop the cluster's services; hosts and files stay.
    Stop {
        name: String,
        #[arg(long)]
        auto_approve: bool,
    },
    /// Start what the cluster's spec has and the state lacks (stopped services).
    Start {
        name: String,
        #[arg(long)]
        auto_approve: bool,
    },
    /// Destroy everything of the cluster, after confirmation.
    Kill {
        name: String,
        #[arg(long)]
        auto_approve: bool,
    },
}

#[derive(Args, Debug, Clone)]
pub struct CreateArgs {
    pub name: String,
    /// The hosts, as a host list (`node[01-03]`, `127.0.1.[1-3]`); the first is the master.
    pub hosts: String,
    /// Where the hosts are: local (this machine), ssh (existing hosts), aws (new EC2
    /// instances).
    #[arg(short = 'p', long)]
    pub provider: String,
    /// What runs on them: spark, hadoop, or spark,hadoop.
    #[arg(long, default_value = "spark")]
    pub service: String,
    /// The SSH user (ssh).
    #[arg(long)]
    pub user: Option<String>,
    /// The SSH port of every host, or HOST=PORT for one host (repeatable).
    #[arg(long)]
    pub port: Vec<String>,
    /// The SSH private key file (ssh, aws; for aws its .pub is the instances' key).
    #[arg(long)]
    pub private_key: Option<String>,
    /// The known_hosts file for the hosts' keys (ssh).
    #[arg(long)]
    pub known_hosts: Option<String>,
    /// A module argument, as [LAYER.]NAME=VALUE with LAYER spark, hadoop or hosts
    /// (repeatable); VALUE is a number, true, false, or else a string.
    #[arg(long)]
    pub set: Vec<String>,
    /// Write the spec and show the plan; apply nothing.
    #[arg(long)]
    pub plan_only: bool,
    #[arg(long)]
    pub auto_approve: bool,
}

#[derive(Args, Debug, Clone)]
pub struct HostEditArgs {
    pub name: String,
    #[arg(required = true)]
    pub hosts: Vec<String>,
    /// Edit the spec and show the plan; apply nothing.
    #[arg(long)]
    pub plan_only: bool,
    #[arg(long)]
    pub auto_approve: bool,
}

impl PlanFlags {
    /// The flags a plain `meshform apply` has.
    pub fn cli_defaults() -> PlanFlags {
        PlanFlags {
            refresh: true,
            parallelism: 10,
            input: true,
            lock: true,
            lock_timeout: "0s".into(),
            ..PlanFlags::default()
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// The resource instance address the object is recorded under (`aws_instance.web[0]`).
    pub address: String,
    /// The object's id as its provider knows it (`i-0123456789abcdef0`).
    pub id: String,
}

#[derive(clap::Args, Debug)]
pub struct ForceUnlockArgs {
    pub lock_id: String,
    #[arg(long)]
    pub force: bool,
}

/// Rewrites Terraform-style single-dash long flags to clap's double-dash form.
/// `-var x=1` → `--var x=1`, `-out=p` → `--out=p`; short flags like `-h` stay.
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut passthrough = false;
    // `cluster run|ssh|submit` end in a user's command line, which is passed on as it is
    // once the positionals before it (name, host or job) are given.
    let mut positionals_left: Option<usize> = None;
    let mut submit = false;
    let mut submit_flags_next = false;
    // `cluster SUB -n NAME` is `cluster SUB NAME`, as long as no name was given yet.
    let mut name_pending = false;
    let mut name_flag_next = false;
    for a in args {
        let a = if name_flag_next {
            name_flag_next = false;
            a
        } else if name_pending && (a == "-n" || a == "-name" || a == "--name") {
            name_flag_next = true;
            continue;
        } else if let Some(name) =
            name_pending.then(|| ["-n=", "-name=", "--name="].iter().find_map(|p| a.strip_prefix(p))).flatten()
        {
            name.to_string()
        } else {
            a
        };
        if name_pending && !a.starts_with('-') && !out.last().is_some_and(|p| VALUE_FLAGS.contains(&p.as_str())) {
            name_pending = false;
        }
        if passthrough {
            out.push(a);
            continue;
        }
        if a == "--" {
            passthrough = true;
            out.push(a);
            continue;
        }
        let flag_value = out.last().is_some_and(|p| VALUE_FLAGS.contains(&p.as_str()));
        if let Some(left) = positionals_left.as_mut().filter(|l| **l > 0)
            && !a.starts_with('-')
            && !flag_value
        {
            *left -= 1;
            passthrough = *left == 0 && !submit;
            submit_flags_next = *left == 0 && submit;
            out.push(a);
            continue;
        }
        // `cluster submit NAME JOB -class C -master yarn ARGS`: its own flags may follow the
        // job; the first word that is none of them starts the job's arguments.
        if submit_flags_next {
            let long = a.starts_with('-').then(|| if a.starts_with("--") { a.clone() } else { format!("-{a}") });
            let known =
                long.as_deref().is_some_and(|l| VALUE_FLAGS.iter().any(|f| l == *f || l.starts_with(&format!("{f}="))));
            if flag_value {
                out.push(a);
            } else if known {
                out.push(long.unwrap_or_default());
            } else {
                passthrough = true;
                out.push(a);
            }
            continue;
        }
        if positionals_left.is_none() && out.len() >= 2 && out[out.len() - 1] == "cluster" {
            name_pending = a != "list";
            positionals_left = match a.as_str() {
                "run" => Some(1),
                "ssh" | "submit" => Some(2),
                _ => None,
            };
            submit = a == "submit";
            out.push(a);
            continue;
        }
        let is_single_dash_long = a.starts_with('-')
            && !a.starts_with("--")
            && a.len() > 2
            && a[1..].chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if is_single_dash_long {
            out.push(format!("-{a}"));
        } else {
            out.push(a);
        }
    }
    out
}

/// The flags of `cluster submit` and `cluster create` that take a value.
const VALUE_FLAGS: [&str; 10] = [
    "--class",
    "--master",
    "-p",
    "--provider",
    "--service",
    "--user",
    "--port",
    "--private-key",
    "--known-hosts",
    "--set",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_command_line_is_passed_on_untouched() {
        let argv = |xs: &[&str]| normalize_args(xs.iter().map(|s| s.to_string()));
        assert_eq!(
            argv(&["meshform", "cluster", "run", "-master-only", "c", "ls", "-la"]),
            ["meshform", "cluster", "run", "--master-only", "c", "ls", "-la"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "submit", "-class", "A", "c", "j.jar", "-n", "-iterations"]),
            ["meshform", "cluster", "submit", "--class", "A", "c", "j.jar", "-n", "-iterations"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "submit", "c", "pi.py", "-iterations", "3"]),
            ["meshform", "cluster", "submit", "c", "pi.py", "-iterations", "3"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "submit", "c", "wc.jar", "-class", "W", "-master=yarn", "/in", "-x"]),
            ["meshform", "cluster", "submit", "c", "wc.jar", "--class", "W", "--master=yarn", "/in", "-x"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "submit", "c", "pi.py", "-master", "yarn", "-n", "-class"]),
            ["meshform", "cluster", "submit", "c", "pi.py", "--master", "yarn", "-n", "-class"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "ssh", "c", "h", "ps", "-ef"]),
            ["meshform", "cluster", "ssh", "c", "h", "ps", "-ef"]
        );
    }

    #[test]
    fn a_cluster_is_named_by_n_or_by_position() {
        let argv = |xs: &[&str]| normalize_args(xs.iter().map(|s| s.to_string()));
        assert_eq!(argv(&["meshform", "cluster", "info", "-n", "demo"]), ["meshform", "cluster", "info", "demo"]);
        assert_eq!(
            argv(&["meshform", "cluster", "kill", "-n=demo", "-auto-approve"]),
            ["meshform", "cluster", "kill", "demo", "--auto-approve"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "submit", "-n", "demo", "pi.py", "-n", "3"]),
            ["meshform", "cluster", "submit", "demo", "pi.py", "-n", "3"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "submit", "-class", "A", "-n", "demo", "j.jar", "-n"]),
            ["meshform", "cluster", "submit", "--class", "A", "demo", "j.jar", "-n"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "run", "-master-only", "--name", "c", "ls", "-n"]),
            ["meshform", "cluster", "run", "--master-only", "c", "ls", "-n"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "ssh", "c", "-n", "h"]),
            ["meshform", "cluster", "ssh", "c", "-n", "h"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "create", "-p", "local", "-service", "spark", "-n", "demo", "h[1-3]"]),
            ["meshform", "cluster", "create", "-p", "local", "--service", "spark", "demo", "h[1-3]"]
        );
        assert_eq!(
            argv(&["meshform", "cluster", "add", "-plan-only", "-n", "demo", "h4"]),
            ["meshform", "cluster", "add", "--plan-only", "demo", "h4"]
        );
    }

    #[test]
    fn single_dash_flags_become_long_flags() {
        let got =
            normalize_args(["meshform", "-chdir=x", "apply", "-auto-approve", "-var", "a=1", "-h"].map(String::from));
        assert_eq!(got, ["meshform", "--chdir=x", "apply", "--auto-approve", "--var", "a=1", "-h"]);
    }

    #[test]
    fn parses_terraform_style_command_lines() {
        let argv = normalize_args(
            ["meshform", "plan", "-out=p.plan", "-var", "n=3", "-detailed-exitcode", "-refresh=false"]
                .map(String::from),
        );
        let cli = Cli::try_parse_from(argv).unwrap();
        let Command::Plan(p) = cli.command else { panic!("not plan") };
        assert_eq!(p.out.as_deref(), Some(std::path::Path::new("p.plan")));
        assert_eq!(p.flags.vars.vars, ["n=3"]);
        assert!(p.detailed_exitcode);
        assert!(!p.flags.refresh);
    }
}
