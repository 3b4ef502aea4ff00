//! What the user wrote: `*.hcl` and `*.tf` files of a module tree, loaded with spans kept.
