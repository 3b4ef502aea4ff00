//! The bounded-parallel walk that makes a plan so.
