//! The dependency graph of a configuration.
