//! meshform's engine: everything between the spec files and the state file.
//!
//! Data flows one way through these modules:
//!
//! | module      | what it is for |
//! |-------------|----------------|
//! | [`diag`]    | the one diagnostic type, with source spans |
//! | [`addrs`]   | typed addresses of modules, resources and instances |
//! | [`config`]  | loading `*.hcl`/`*.tf` files into typed configuration, spans kept |
//! | [`eval`]    | values, types, expressions and the built-in functions |
//! | [`graph`]   | the dependency graph of a configuration |
//! | [`checks`]  | `check` blocks: assertions that warn |
//! | [`describe`]| what a description of the configuration shows: reference names, constants |
//! | [`refactor`]| `moved` blocks and implied moves: renaming what the state records |
//! | [`plan`]    | refresh + diff of configuration against prior state |
//! | [`apply`]   | bounded-parallel walk that makes a plan so |
//! | [`state`]   | the state file, its journal and its lock |
//! | [`nulltypes`]| the types of null values, read from the expressions that give them |
//! | [`moduletest`]| `meshform test`: run blocks of test files, against states in memory |
//! | [`provider`]| the trait every provider implements |
//! | [`configure`]| provider configurations, set up before a run reads anything |
//!
//! **Architecture invariant:** the engine never prints to the terminal; it returns values
//! and diagnostics, and the CLI decides how to show them.

// Diagnostics are large on purpose (spans, labels, help) and travel only on the error
// path, so returning them unboxed is the clearer choice.
#![allow(clippy::result_large_err)]

pub mod addrs;
pub mod apply;
pub mod checks;
pub mod config;
pub mod configure;
pub mod describe;
pub mod diag;
pub mod eval;
pub mod graph;
pub mod moduletest;
pub mod nulltypes;
pub mod plan;
pub mod provider;
pub mod refactor;
pub mod relevance;
pub mod state;
pub mod walk;
