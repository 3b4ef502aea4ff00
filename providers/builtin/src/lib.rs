//! The built-in provider: `terraform_data`, with Terraform's attributes and semantics.
