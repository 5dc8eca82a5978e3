//! Cryptography shared by every capability: field encryption at rest (AES-256-GCM), password
//! hashing, and the JWT signing keys with their JWKS. Nothing here touches the network; private key material
//! only leaves this module encrypted.

mod field;
mod hash_workers;
mod imported_hash;
mod key_store;
mod keyring;
mod password;
mod signing;
mod verified_tokens;

pub use field::{FieldCipher, FieldKey, load_or_create_development_key};
pub use hash_workers::WorkerMetrics;
pub use imported_hash::{FirebaseProject, HashError, ImportedHash, SaltPosition};
pub use keyring::{CLIENT_ACCESS_TOKEN_TYPE, KeyInfo, KeyStatus, Keyring, list_keys};
pub use password::{HashingMetrics, PasswordHasher, Verified};
pub use signing::SigningAlgorithm;
