//! Reading the audit log (AuditService): `query` decides who may read which events, `store`
//! holds the queries on `audit_events`, `convert` the contract's message, `grpc` the tonic
//! service. Writing events is `audit`, below every capability.

mod convert;
pub mod grpc;
mod query;
mod store;

pub use query::{AuditLog, EventFilter};
