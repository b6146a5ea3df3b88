//! The index file format, version 2: constants, the section directory, and the bounded
//! byte cursor and quantisers shared by the reader (everywhere) and the writer (native).
//!
//! Input: raw index bytes. Output: the validated [`SectionEntry`] directory, or an
//! [`IndexError`] naming what is wrong. All integers and floats are little-endian.
//!
//! # Byte layout
//!
//! | offset        | size      | field                                                        |
//! |---------------|-----------|--------------------------------------------------------------|
//! | 0             | 8         | magic `SORIIDX\0`                                            |
//! | 8             | 4         | format version, u32 (= [`FORMAT_VERSION`])                   |
//! | 12            | 8         | analysis hash, u64 (`matcher::analysis_hash`, checked by `Index::check_features`) |
//! | 20            | 4         | section count `n`, u32 (1..=[`MAX_SECTIONS`])                |
//! | 24            | 16 × n    | directory: tag `[u8; 4]`, offset u32, length u32, CRC-32 u32 |
//! | 24 + 16n      | 4         | CRC-32 of bytes `0 .. 24 + 16n` (the header)                 |
//! | 28 + 16n      | …         | the sections, back to back in directory order, to EOF        |
//!
//! Sections (all required, in this order; a reader skips unknown tags, CRC-checked):
//!
//! | tag    | contents                                                                            |
//! |--------|-------------------------------------------------------------------------------------|
//! | `CLAS` | u16 count; per class: u16 id, str slug, str category, str category_ko, str name_ko, str name_en, u8 coverage (0 trained, 1 zero-shot, 2 none), u32 clips, u32 recordings |
//! | `IMGS` | u16 count; per image: u16 class id, str mime, str credit, blob bytes                |
//! | `HEAD` | u32 input_dim, u32 outputs `k`, u16 × k class ids (0 = an "other" group; may repeat), f32 unknown_threshold, f32 maybe_threshold, f32 × k bias, **fp16** × k·input_dim weights (row-major) |
//! | `ZSHT` | f32 threshold, u16 rules; per rule: u16 class id, u16 `m`, u16 × m AudioSet labels  |
//! | `EXMP` | u32 dim, u32 count `e`, u16 × e class ids, f32 × e scales, **int8** × e·dim vectors (value = q · scale) |
//! | `FPRT` | u16 recordings; per recording: u16 class id, str name; u32 entries; per entry (sorted): varint hash delta, varint recording, varint time |
//! | `INFO` | str model_id, str build_info                                                        |
//!
//! Optional sections, after the required ones (absent when empty; older readers skip them):
//!
//! | tag    | contents                                                                            |
//! |--------|-------------------------------------------------------------------------------------|
//! | `SUBC` | u16 count; per sub-class (sorted by class id, then name): u16 class id, str name, u32 sounds, u32 images |
//! | `TNEG` | teaching negatives: u32 `k` (head outputs), u32 `d` (sketch length), u32 `n`, u16 × n head outputs, f32 × n logit scales, f32 × n sketch scales, **int8** × n·k out-of-fold logits, **int8** × n·d sketches of the clip embeddings (`teach::learn::sketch`) |
//! | `TAUG` | classes taught on top of the head (`sori teach --merge`): a whole pack, see `crate::teach` |
//!
//! `str` and `blob` are a u32 byte length followed by the bytes (`str` is UTF-8). Every
//! length is checked against the bytes that remain before anything is allocated. A varint
//! is LEB128 (7 bits per byte, low first, at most 5 bytes for a u32, no overlong forms).
//!
//! Quantisation: head weights are IEEE fp16 (≈3 significant digits); exemplar vectors are
//! int8 with a per-vector scale `max|x| / 127`, rounded up to 16 significant bits so that
//! re-encoding a decoded index gives the same bytes. The reader rejects exemplar rows that
//! are not in this canonical form (quantising the decoded row must give back its bytes).

use super::IndexError;

/// The 8 bytes every index starts with.
pub const MAGIC: [u8; 8] = *b"SORIIDX\0";
/// The format version this crate reads and writes.
///
/// Version 2 (this one): several "other" outputs in the head, the maybe threshold, coverage code 3
/// (learned from a few recordings). Version 1 indexes are refused with a message to rebuild.
pub const FORMAT_VERSION: u32 = 2;
/// Most sections a directory may list.
pub const MAX_SECTIONS: u32 = 64;
/// Bytes before the directory: magic, version, feature hash, section count.
pub const FIXED_HEADER: usize = 24;
/// Bytes per directory entry.
pub const DIR_ENTRY: usize = 16;

/// Section tags, in the order the writer emits them.
pub const TAG_CLASSES: [u8; 4] = *b"CLAS";
/// Images section tag.
pub const TAG_IMAGES: [u8; 4] = *b"IMGS";
/// Head section tag.
pub const TAG_HEAD: [u8; 4] = *b"HEAD";
/// Zero-shot section tag.
pub const TAG_ZERO_SHOT: [u8; 4] = *b"ZSHT";
/// Exemplars section tag.
pub const TAG_EXEMPLARS: [u8; 4] = *b"EXMP";
/// Fingerprints section tag.
pub const TAG_FINGERPRINTS: [u8; 4] = *b"FPRT";
/// Model id and build info section tag.
pub const TAG_INFO: [u8; 4] = *b"INFO";
/// Sub-classes section tag (optional: written only when there are sub-classes, after `INFO`;
/// readers that predate it skip it).
pub const TAG_SUBCLASSES: [u8; 4] = *b"SUBC";
/// Teaching negatives section tag (optional, after `SUBC`): `u32 k, u32 d, u32 n, u16 × n head
/// outputs, f32 × n logit scales, f32 × n sketch scales, int8 × n·k logits, int8 × n·d sketches`
/// (value = q · scale, canonical like the exemplars).
pub const TAG_TEACH_NEGATIVES: [u8; 4] = *b"TNEG";
/// Taught classes merged into the index (optional, last): a whole pack (`crate::teach::Pack`).
pub const TAG_TAUGHT: [u8; 4] = *b"TAUG";
/// All required tags, in file order.
pub const REQUIRED_TAGS: [[u8; 4]; 7] = [
    TAG_CLASSES,
    TAG_IMAGES,
    TAG_HEAD,
    TAG_ZERO_SHOT,
    TAG_EXEMPLARS,
    TAG_FINGERPRINTS,
    TAG_INFO,
];

/// Image MIME types an index may carry.
pub const IMAGE_MIMES: [&str; 4] = ["image/svg+xml", "image/webp", "image/png", "image/jpeg"];

/// Human name of a section tag, for errors and reports.
pub fn section_name(tag: [u8; 4]) -> String {
    match tag {
        TAG_CLASSES => "classes".into(),
        TAG_IMAGES => "images".into(),
        TAG_HEAD => "head".into(),
        TAG_ZERO_SHOT => "zero-shot".into(),
        TAG_EXEMPLARS => "exemplars".into(),
        TAG_FINGERPRINTS => "fingerprints".into(),
        TAG_INFO => "info".into(),
        TAG_SUBCLASSES => "sub-classes".into(),
        TAG_TEACH_NEGATIVES => "teaching negatives".into(),
        TAG_TAUGHT => "taught classes".into(),
        other => format!("unknown section {:?}", String::from_utf8_lossy(&other)),
    }
}

/// One directory entry: where a section is and its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionEntry {
    /// Four-byte tag, e.g. `CLAS`.
    pub tag: [u8; 4],
    /// Byte offset from the start of the file.
    pub offset: u32,
    /// Byte length.
    pub length: u32,
    /// CRC-32 (IEEE) of the section bytes.
    pub crc: u32,
}

/// The parsed, checked header of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Format version (always [`FORMAT_VERSION`] once parsed).
    pub version: u32,
    /// Feature-config hash the index was built with.
    pub feature_hash: u64,
    /// The sections, in file order.
    pub sections: Vec<SectionEntry>,
}

fn truncated(section: &str) -> IndexError {
    IndexError::Truncated {
        section: section.to_string(),
    }
}

/// Parses and checks the header and directory: magic, version, header CRC, that the
/// sections tile the file exactly, and every section's CRC. Never panics.
pub fn read_header(bytes: &[u8]) -> Result<Header, IndexError> {
    read_container(bytes, &MAGIC, FORMAT_VERSION)
}

/// [`read_header`] for another file of the same container layout (e.g. a taught-class pack):
/// its own magic and version, the same directory, checksums and tiling rules.
pub fn read_container(
    bytes: &[u8],
    magic: &[u8; 8],
    format_version: u32,
) -> Result<Header, IndexError> {
    let head = bytes.get(..magic.len()).unwrap_or(bytes);
    if head != &magic[..head.len()] {
        return Err(IndexError::BadMagic);
    }
    if bytes.len() < FIXED_HEADER {
        return Err(truncated("header"));
    }
    let mut cur = Cursor::new(&bytes[magic.len()..FIXED_HEADER], "header");
    let version = cur.u32()?;
    if version != format_version {
        return Err(IndexError::UnsupportedVersion {
            found: version,
            expected: format_version,
        });
    }
    let feature_hash = cur.u64()?;
    let count = cur.u32()?;
    if count == 0 || count > MAX_SECTIONS {
        return Err(IndexError::Corrupt(format!(
            "section count {count} is out of range 1..={MAX_SECTIONS}"
        )));
    }
    let header_len = FIXED_HEADER + DIR_ENTRY * count as usize;
    let Some(header) = bytes.get(..header_len + 4) else {
        return Err(truncated("header"));
    };
    let mut cur = Cursor::new(&header[FIXED_HEADER..], "header");
    let mut sections = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let tag = cur.array::<4>()?;
        let offset = cur.u32()?;
        let length = cur.u32()?;
        let crc = cur.u32()?;
        sections.push(SectionEntry {
            tag,
            offset,
            length,
            crc,
        });
    }
    let stored = cur.u32()?;
    if crc32fast::hash(&header[..header_len]) != stored {
        return Err(IndexError::Checksum {
            section: "header".into(),
        });
    }
    let mut expected_offset = header.len() as u64;
    for s in &sections {
        let name = section_name(s.tag);
        if u64::from(s.offset) != expected_offset {
            return Err(IndexError::Corrupt(format!(
                "{name} section starts at byte {} but the previous one ends at {expected_offset}",
                s.offset
            )));
        }
        let end = expected_offset + u64::from(s.length);
        let Some(data) = bytes.get(s.offset as usize..end.min(usize::MAX as u64) as usize) else {
            return Err(truncated(&name));
        };
        if crc32fast::hash(data) != s.crc {
            return Err(IndexError::Checksum { section: name });
        }
        expected_offset = end;
    }
    if expected_offset != bytes.len() as u64 {
        return Err(IndexError::Corrupt(format!(
            "{} unexpected bytes after the last section",
            bytes.len() as u64 - expected_offset
        )));
    }
    Ok(Header {
        version,
        feature_hash,
        sections,
    })
}

/// A bounds-checked little-endian reader over one section; every read that would run
/// past the end returns [`IndexError::Truncated`] naming the section.
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    section: &'a str,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`; `section` names it in errors.
    pub fn new(data: &'a [u8], section: &'a str) -> Self {
        Cursor {
            data,
            pos: 0,
            section,
        }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Errors unless every byte was read.
    pub fn finish(&self) -> Result<(), IndexError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(IndexError::Corrupt(format!(
                "{n} unread bytes at the end of the {} section",
                self.section
            ))),
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        if n > self.remaining() {
            return Err(truncated(self.section));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Checks that `count` items of at least `min_size` bytes each can still follow,
    /// so a corrupt count never causes a huge allocation.
    pub fn check_count(&self, count: usize, min_size: usize) -> Result<usize, IndexError> {
        match count.checked_mul(min_size) {
            Some(n) if n <= self.remaining() => Ok(count),
            _ => Err(truncated(self.section)),
        }
    }

    /// A u16 item count, checked with [`Cursor::check_count`].
    pub fn count_u16(&mut self, min_size: usize) -> Result<usize, IndexError> {
        let n = usize::from(self.u16()?);
        self.check_count(n, min_size)
    }

    /// A u32 item count, checked with [`Cursor::check_count`].
    pub fn count_u32(&mut self, min_size: usize) -> Result<usize, IndexError> {
        let n = self.u32()? as usize;
        self.check_count(n, min_size)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], IndexError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, IndexError> {
        Ok(self.array::<1>()?[0])
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> Result<u16, IndexError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> Result<u32, IndexError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> Result<u64, IndexError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian f32.
    pub fn f32(&mut self) -> Result<f32, IndexError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    /// A u32 byte length followed by that many bytes.
    pub fn blob(&mut self) -> Result<&'a [u8], IndexError> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// A u32 byte length followed by that many UTF-8 bytes.
    pub fn str(&mut self) -> Result<String, IndexError> {
        let section = self.section;
        let b = self.blob()?;
        std::str::from_utf8(b).map(str::to_string).map_err(|_| {
            IndexError::Corrupt(format!("invalid UTF-8 text in the {section} section"))
        })
    }

    /// An unsigned LEB128 varint of at most 5 bytes that fits a u32, in its shortest form.
    pub fn varint(&mut self) -> Result<u32, IndexError> {
        let mut value: u64 = 0;
        for i in 0..5 {
            let b = self.u8()?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if (b == 0 && i > 0) || value > u64::from(u32::MAX) {
                    return Err(IndexError::Corrupt(format!(
                        "malformed varint in the {} section",
                        self.section
                    )));
                }
                return Ok(value as u32);
            }
        }
        Err(IndexError::Corrupt(format!(
            "varint longer than 5 bytes in the {} section",
            self.section
        )))
    }

    /// `n` little-endian u16 values.
    pub fn u16s(&mut self, n: usize) -> Result<Vec<u16>, IndexError> {
        let b = self.take(n.checked_mul(2).ok_or_else(|| truncated(self.section))?)?;
        Ok(b.chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect())
    }

    /// `n` little-endian f32 values.
    pub fn f32s(&mut self, n: usize) -> Result<Vec<f32>, IndexError> {
        let b = self.take(n.checked_mul(4).ok_or_else(|| truncated(self.section))?)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// `n` little-endian fp16 values, widened to f32.
    pub fn f16s(&mut self, n: usize) -> Result<Vec<f32>, IndexError> {
        let b = self.take(n.checked_mul(2).ok_or_else(|| truncated(self.section))?)?;
        Ok(b.chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect())
    }
}

/// Assembles a container: magic, version, analysis hash, the directory of `sections` (tag and
/// bytes, in order) with their CRC-32s, the header's CRC-32, then the sections. The inverse of
/// [`read_container`]; runs everywhere (packs are written in the browser).
pub fn write_container(
    magic: &[u8; 8],
    format_version: u32,
    analysis_hash: u64,
    sections: &[([u8; 4], Vec<u8>)],
) -> Vec<u8> {
    let header_len = FIXED_HEADER + DIR_ENTRY * sections.len();
    let mut out =
        Vec::with_capacity(header_len + 4 + sections.iter().map(|s| s.1.len()).sum::<usize>());
    out.extend_from_slice(magic);
    out.extend_from_slice(&format_version.to_le_bytes());
    out.extend_from_slice(&analysis_hash.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    let mut offset = (header_len + 4) as u32;
    for (tag, data) in sections {
        out.extend_from_slice(tag);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        offset += data.len() as u32;
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    for (_, data) in sections {
        out.extend_from_slice(data);
    }
    out
}

/// Recomputes every section's CRC-32 and the header's CRC-32 of a container (index or pack) from
/// its directory, as the writer would have: `None` when the directory is not plausible (no
/// sections, more than [`MAX_SECTIONS`], a header or section past the end of the bytes). Never
/// used by the product: the tests and fuzz targets (`fuzz/fuzz_targets`) change bytes behind the
/// checksums with it, to reach the section decoders and validation.
#[doc(hidden)]
pub fn repair_checksums(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut b = bytes.to_vec();
    let count = u32::from_le_bytes(b.get(20..FIXED_HEADER)?.try_into().ok()?) as usize;
    if count == 0 || count > MAX_SECTIONS as usize {
        return None;
    }
    let header_len = FIXED_HEADER + DIR_ENTRY * count;
    b.get(..header_len + 4)?;
    for i in 0..count {
        let e = FIXED_HEADER + DIR_ENTRY * i;
        let offset = u32::from_le_bytes(b[e + 4..e + 8].try_into().ok()?) as usize;
        let length = u32::from_le_bytes(b[e + 8..e + 12].try_into().ok()?) as usize;
        let crc = crc32fast::hash(b.get(offset..offset.checked_add(length)?)?);
        b[e + 12..e + 16].copy_from_slice(&crc.to_le_bytes());
    }
    let crc = crc32fast::hash(&b[..header_len]);
    b[header_len..header_len + 4].copy_from_slice(&crc.to_le_bytes());
    Some(b)
}

/// Appends `v`, little-endian.
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v`, little-endian.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v`, little-endian.
pub fn put_f32(out: &mut Vec<u8>, v: f32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a `blob`: a u32 byte length, then the bytes (read by [`Cursor::blob`]).
pub fn put_blob(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

/// Appends a `str`: its UTF-8 bytes as a blob (read by [`Cursor::str`]).
pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_blob(out, s.as_bytes());
}

/// The envelope of a companion file (`<index>.photos`, `<index>.sounds`): 8 bytes of magic, u32
/// format version, u32 body length, u32 CRC-32 (IEEE) of the body, then the body.
pub struct Companion {
    /// The 8 bytes the file starts with.
    pub magic: [u8; 8],
    /// The version this crate reads and writes.
    pub version: u32,
    /// What the file is, for the bad-magic message (`photo file`).
    pub file: &'static str,
    /// The body's name in errors (`photos`).
    pub section: &'static str,
    /// The header's name in errors (`photos header`).
    pub header: &'static str,
}

impl Companion {
    /// Checks magic, version, length and checksum; returns the body.
    pub fn open<'a>(&self, bytes: &'a [u8]) -> Result<&'a [u8], IndexError> {
        let head = bytes.get(..8).unwrap_or(bytes);
        if head != &self.magic[..head.len()] {
            return Err(IndexError::Corrupt(format!(
                "not a Sori {} (bad magic)",
                self.file
            )));
        }
        let mut c = Cursor::new(bytes.get(8..).unwrap_or(&[]), self.header);
        let version = c.u32()?;
        if version != self.version {
            return Err(IndexError::UnsupportedVersion {
                found: version,
                expected: self.version,
            });
        }
        let n = c.u32()? as usize;
        let crc = c.u32()?;
        let body = c.take(n)?;
        c.finish()?;
        if crc32fast::hash(body) != crc {
            return Err(IndexError::Checksum {
                section: self.section.into(),
            });
        }
        Ok(body)
    }

    /// The file holding `body`: the inverse of [`Companion::open`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn seal(&self, body: &[u8]) -> Vec<u8> {
        let mut out = self.magic.to_vec();
        put_u32(&mut out, self.version);
        put_u32(&mut out, body.len() as u32);
        put_u32(&mut out, crc32fast::hash(body));
        out.extend_from_slice(body);
        out
    }
}

/// Appends `v` as a LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The int8 scale for a vector: `max|x| / 127` rounded up to 16 significant bits, so
/// `127 · scale` and `q · scale` are exact in f32 and quantising twice is a no-op.
/// Zero (or non-finite) vectors get scale 0.
pub fn int8_scale(v: &[f32]) -> f32 {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return 0.0;
    }
    let s = max / 127.0;
    let bits = s.to_bits();
    const DROP: u32 = (1 << 7) - 1; // keep 16 of the 23 stored mantissa bits
    let up = f32::from_bits(if bits & DROP == 0 {
        bits
    } else {
        (bits | DROP) + 1
    });
    // Near f32::MAX, 127 · up could overflow; values then clamp to ±127 instead.
    if (up * 127.0).is_finite() {
        up
    } else {
        s
    }
}

/// Quantises `v` to int8 with [`int8_scale`]; returns the scale and pushes the bytes.
pub fn put_int8(out: &mut Vec<u8>, v: &[f32]) -> f32 {
    let s = int8_scale(v);
    for &x in v {
        let q = if s == 0.0 {
            0.0
        } else {
            (x / s).round().clamp(-127.0, 127.0)
        };
        out.push(q as i8 as u8);
    }
    s
}

/// Rounds to fp16 and back: what the head weights become after a round trip.
pub fn through_f16(x: f32) -> f32 {
    half::f16::from_f32(x).to_f32()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trips_and_rejects_overlong_forms() {
        for v in [0u32, 1, 127, 128, 300, 16_383, 16_384, u32::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut c = Cursor::new(&b, "t");
            assert_eq!(c.varint().unwrap(), v);
            c.finish().unwrap();
        }
        assert!(Cursor::new(&[0x80, 0x00], "t").varint().is_err());
        assert!(Cursor::new(&[0xff, 0xff, 0xff, 0xff, 0x7f], "t")
            .varint()
            .is_err());
        assert!(Cursor::new(&[0xff; 6], "t").varint().is_err());
        assert!(matches!(
            Cursor::new(&[0x80], "t").varint(),
            Err(IndexError::Truncated { .. })
        ));
    }

    #[test]
    fn int8_quantisation_is_idempotent() {
        let mut x = 0.1234f32;
        for _ in 0..2000 {
            x = (x * 3.7 + 0.31).fract();
            let v: Vec<f32> = (0..16)
                .map(|i| (x * (i as f32 + 1.3)).sin() * x * 11.0)
                .collect();
            let mut b = Vec::new();
            let s = put_int8(&mut b, &v);
            let deq: Vec<f32> = b.iter().map(|&q| q as i8 as f32 * s).collect();
            let mut b2 = Vec::new();
            let s2 = put_int8(&mut b2, &deq);
            assert_eq!((s.to_bits(), &b), (s2.to_bits(), &b2));
            assert!(v
                .iter()
                .zip(&deq)
                .all(|(a, d)| (a - d).abs() <= s * 0.5 + 1e-6));
        }
    }

    #[test]
    fn cursor_never_reads_past_the_end() {
        let mut c = Cursor::new(&[5, 0, 0, 0, 1, 2], "t");
        assert!(matches!(c.blob(), Err(IndexError::Truncated { .. })));
        let c = Cursor::new(&[0; 8], "t");
        assert!(c.check_count(usize::MAX, 2).is_err());
        assert_eq!(c.check_count(4, 2).unwrap(), 4);
    }
}
