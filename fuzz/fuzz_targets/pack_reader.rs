//! Fuzz target: `Pack::from_bytes` (taught-sound packs, issue 17) must return `Ok` or `Err` on any
//! input, never panic, hang or allocate without bound. A pack it accepts must re-encode to bytes
//! that read back identically. Inputs are also tried with their checksums repaired, so the fuzzer
//! reaches the section decoders and `Pack::validate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sori::teach::Pack;

fn check(data: &[u8]) {
    if let Ok(pack) = Pack::from_bytes(data) {
        let bytes = pack.to_bytes();
        let again = Pack::from_bytes(&bytes).expect("a re-encoded pack reads back");
        assert_eq!(again, pack, "a pack survives re-encoding");
        assert_eq!(again.to_bytes(), bytes, "re-encoding is stable");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some(repaired) = sori::index::format::repair_checksums(data) {
        check(&repaired);
    }
});
