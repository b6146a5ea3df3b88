//! Fuzz target: `Index::from_bytes` must return `Ok` or `Err` on any input, never panic,
//! hang or allocate without bound. An index it accepts must re-encode to bytes that read
//! back, and re-encoding those must be stable (quantisation is idempotent).
//!
//! Random mutations almost always fail a CRC, so each input is also tried with its
//! checksums repaired: that lets the fuzzer reach the section decoders and `validate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sori::index::Index;

/// Recomputes the section and header CRCs of an input that has a plausible directory.
fn repair_checksums(data: &[u8]) -> Option<Vec<u8>> {
    let mut b = data.to_vec();
    let count = u32::from_le_bytes(b.get(20..24)?.try_into().ok()?) as usize;
    if count == 0 || count > 64 {
        return None;
    }
    let header_len = 24 + 16 * count;
    b.get(..header_len + 4)?;
    for i in 0..count {
        let e = 24 + 16 * i;
        let offset = u32::from_le_bytes(b[e + 4..e + 8].try_into().ok()?) as usize;
        let length = u32::from_le_bytes(b[e + 8..e + 12].try_into().ok()?) as usize;
        let crc = crc32fast::hash(b.get(offset..offset.checked_add(length)?)?);
        b[e + 12..e + 16].copy_from_slice(&crc.to_le_bytes());
    }
    let crc = crc32fast::hash(&b[..header_len]);
    b[header_len..header_len + 4].copy_from_slice(&crc.to_le_bytes());
    Some(b)
}

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
    if let Some(repaired) = repair_checksums(data) {
        check(&repaired);
    }
});
