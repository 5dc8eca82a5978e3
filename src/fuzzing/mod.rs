//! Fuzzing harnesses for the code that reads hostile input: the REST transcoder (an HTTP
//! request bound into an RPC's message), access-token parsing and validation, and WebAuthn
//! credential JSON. Each harness is one `run(&[u8])` that returns quietly for any input and
//! panics only when an invariant breaks, so a crash is a finding.
//!
//! cargo-fuzz drives them from `fuzz/` (nightly, see FUZZING.md); `corpus_tests` replays the
//! committed corpus through the same harnesses on stable in `cargo test`, so every input that
//! once crashed stays a regression test. Built only with the `fuzzing` feature or in tests.

mod access_token;
mod rest_transcoder;
mod webauthn_json;

#[cfg(test)]
mod corpus_tests;

pub use access_token::AccessTokenHarness;
pub use rest_transcoder::RestTranscoderHarness;
pub use webauthn_json::WebauthnJsonHarness;

/// The first byte of an input picks the harness's mode; the rest is the mode's input.
fn mode(data: &[u8], modes: u8) -> Option<(u8, &[u8])> {
    data.split_first()
        .map(|(first, rest)| (first % modes, rest))
}
