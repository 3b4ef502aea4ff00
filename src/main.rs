//! The `meshform` command line.

fn main() {}
