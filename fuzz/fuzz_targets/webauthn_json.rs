#![no_main]
//! See `janua::fuzzing::WebauthnJsonHarness` for the input format and the invariants.

use std::sync::LazyLock;

use janua::fuzzing::WebauthnJsonHarness;
use libfuzzer_sys::fuzz_target;

static HARNESS: LazyLock<WebauthnJsonHarness> = LazyLock::new(WebauthnJsonHarness::new);

fuzz_target!(|data: &[u8]| HARNESS.run(data));
