//! Built-in functions: collection.

use super::Registry;

pub(super) fn register(_r: &mut Registry) {}
