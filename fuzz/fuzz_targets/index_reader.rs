//! Fuzz target: `Index::from_bytes` must return `Ok` or `Err` on any input, never panic,
//! hang or allocate without bound. An index it accepts must re-encode to bytes that read
//! back, and re-encoding those must be stable (quantisation is idempotent).
//!
//! Random mutations almost always fail a CRC, so each input is also tried with its
//! checksums repaired: that lets the fuzzer reach the section decoders and `validate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sori::index::Index;

fn check(data: &[u8]) {
    if let Ok(index) = Index::from_bytes(data) {
        let bytes = index.to_bytes();
        let again = Index::from_bytes(&bytes).expect("a re-encoded index reads back");
        assert_eq!(again.to_bytes(), bytes, "re-encoding is stable");
        let _ = sori::index::inspect_report(&index, data);
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some(repaired) = sori::index::format::repair_checksums(data) {
        check(&repaired);
    }
});
