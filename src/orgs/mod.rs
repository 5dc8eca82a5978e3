//! Organizations, members, invitations, roles and API keys (OrganizationService).

pub mod grpc;
