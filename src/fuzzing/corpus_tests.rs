//! Replays the committed fuzzing corpus (`fuzz/corpus/<target>/`) through the harnesses on
//! stable, so `cargo test` keeps every input the fuzzer kept, and every crash it found.
#![expect(clippy::panic, reason = "a failing replay names its input")]

use std::path::{Path, PathBuf};

use super::{AccessTokenHarness, RestTranscoderHarness, WebauthnJsonHarness};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| {
            let path = entry
                .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
                .path();
            let bytes =
                std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            (path, bytes)
        })
        .collect();
    assert!(!inputs.is_empty(), "{} holds no corpus", dir.display());
    inputs.sort();
    inputs
}

fn replay(target: &str, run: impl Fn(&[u8])) {
    for (path, input) in corpus(target) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&input)));
        assert!(outcome.is_ok(), "{} fails its harness", path.display());
    }
}

#[test]
fn the_rest_transcoder_corpus_passes() {
    let harness = RestTranscoderHarness::new();
    replay("rest_transcoder", |input| harness.run(input));
}

#[test]
fn the_access_token_corpus_passes() {
    let harness = AccessTokenHarness::new();
    replay("access_token", |input| harness.run(input));
}

#[test]
fn the_webauthn_json_corpus_passes() {
    let harness = WebauthnJsonHarness::new();
    replay("webauthn_json", |input| harness.run(input));
}
