//! The generated contract: message types, tonic servers and clients for every service in
//! `proto/janua`, and the encoded descriptor set (with `google.api.http` and access options)
//! that reflection and the REST gateway read.

#![allow(clippy::all, clippy::pedantic, missing_docs, reason = "generated code")]

use prost_reflect::DescriptorPool;

/// The compiled contract, imports included, options intact.
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/janua_descriptor.bin"));

/// Decodes the descriptor set. Called once at start-up; the pool is passed down from there.
pub fn descriptor_pool() -> anyhow::Result<DescriptorPool> {
    Ok(DescriptorPool::decode(DESCRIPTOR_SET)?)
}

pub mod janua {
    pub mod options {
        pub mod v1 {
            tonic::include_proto!("janua.options.v1");
        }
    }
    pub mod auth {
        pub mod v1 {
            tonic::include_proto!("janua.auth.v1");
        }
    }
    pub mod users {
        pub mod v1 {
            tonic::include_proto!("janua.users.v1");
        }
    }
    pub mod orgs {
        pub mod v1 {
            tonic::include_proto!("janua.orgs.v1");
        }
    }
    pub mod mfa {
        pub mod v1 {
            tonic::include_proto!("janua.mfa.v1");
        }
    }
    pub mod sso {
        pub mod v1 {
            tonic::include_proto!("janua.sso.v1");
        }
    }
    pub mod audit {
        pub mod v1 {
            tonic::include_proto!("janua.audit.v1");
        }
    }
    pub mod oauth {
        pub mod v1 {
            tonic::include_proto!("janua.oauth.v1");
        }
    }
    pub mod webhooks {
        pub mod v1 {
            tonic::include_proto!("janua.webhooks.v1");
        }
    }
    pub mod imports {
        pub mod v1 {
            tonic::include_proto!("janua.imports.v1");
        }
    }
}
