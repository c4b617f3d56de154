//! Domain types that validate on construction.

pub mod task;
