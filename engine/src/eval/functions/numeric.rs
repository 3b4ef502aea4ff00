//! Built-in functions: numeric.

use super::Registry;

pub(super) fn register(_r: &mut Registry) {}
