//! Organizations and what belongs to them (OrganizationService): members, custom roles and
//! permission checks, invitations, API keys. `scope` is the tenant boundary every
//! organization operation goes through; `roles` holds the permission rules. Roles that
//! another capability hands out (SSO connections) are asked about through `RoleReferences`.

pub mod api_keys;
mod convert;
pub mod grpc;
mod invitations;
mod members;
mod role_admin;
mod role_references;
pub mod roles;
pub mod scope;
mod service;
mod store;
pub mod transfer;

pub use invitations::InvitationView;
pub use members::Member;
pub use role_admin::{RoleChanges, RoleView};
pub use role_references::RoleReferences;
pub use scope::OrgScope;
pub use service::{OrganizationChanges, Organizations};
