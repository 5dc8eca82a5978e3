//! SeaORM entities, one module per table.

pub mod audit_event;
pub mod signing_key;
