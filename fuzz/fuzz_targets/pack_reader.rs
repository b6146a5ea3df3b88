//! Fuzz target: `Pack::from_bytes` (taught-sound packs, issue 17) must return `Ok` or `Err` on any
//! input, never panic, hang or allocate without bound. A pack it accepts must re-encode to bytes
//! that read back identically. Inputs are also tried with their checksums repaired, so the fuzzer
//! reaches the section decoders and `Pack::validate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sori::teach::Pack;

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
    if let Ok(pack) = Pack::from_bytes(data) {
        let bytes = pack.to_bytes();
        let again = Pack::from_bytes(&bytes).expect("a re-encoded pack reads back");
        assert_eq!(again, pack, "a pack survives re-encoding");
        assert_eq!(again.to_bytes(), bytes, "re-encoding is stable");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some(repaired) = repair_checksums(data) {
        check(&repaired);
    }
});
