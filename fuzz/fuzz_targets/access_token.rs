#![no_main]
//! See `janua::fuzzing::AccessTokenHarness` for the input format and the invariants.

use std::sync::LazyLock;

use janua::fuzzing::AccessTokenHarness;
use libfuzzer_sys::fuzz_target;

static HARNESS: LazyLock<AccessTokenHarness> = LazyLock::new(AccessTokenHarness::new);

fuzz_target!(|data: &[u8]| HARNESS.run(data));
