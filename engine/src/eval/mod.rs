//! Values, types, expression evaluation and the built-in function library.

pub mod expr;
pub mod functions;
pub mod number;
pub mod types;
pub mod value;

pub use number::Number;
pub use types::Type;
pub use value::Value;
