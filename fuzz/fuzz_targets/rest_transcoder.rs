#![no_main]
//! See `janua::fuzzing::RestTranscoderHarness` for the input format and the invariants.

use std::sync::LazyLock;

use janua::fuzzing::RestTranscoderHarness;
use libfuzzer_sys::fuzz_target;

static HARNESS: LazyLock<RestTranscoderHarness> = LazyLock::new(RestTranscoderHarness::new);

fuzz_target!(|data: &[u8]| HARNESS.run(data));
