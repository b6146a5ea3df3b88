//! The pack: every class taught on a device, as one file that keeps and carries them.
//!
//! Input: a [`Pack`] (taught classes with their rows, thresholds and examples). Output: bytes in
//! the index's container layout (see [`crate::index::format`]): magic `SORIPAK\0`, format
//! version [`PACK_VERSION`], the analysis hash, a CRC-checked section directory, then:
//!
//! | tag    | contents                                                                            |
//! |--------|-------------------------------------------------------------------------------------|
//! | `TINF` | u64 head hash (the shipped head the rows were fitted against, [`head_hash`]), str model id |
//! | `TCLS` | u16 count; per class: u16 id, str slug, str name_ko, str name_en, u8 mode (0 new, 1 strengthen, 2 replace), f32 bias, f32 threshold, f32 maybe_threshold, u32 dim, f32 × dim weights, u16 examples; per example: u16 windows, **fp16** × windows·[`EMBEDDING_DIM`] window embeddings, blob audio (16 kHz mono i16 LE, empty when not kept) |
//!
//! Readers skip unknown tags (CRC-checked). [`Pack::from_bytes`] never panics and refuses, with a
//! [`PackError`] that says what to do, anything that is not a whole, undamaged pack of this
//! version made with this build's analysis settings.

use super::{TaughtClass, TaughtExample, CLIP_DIM};
use crate::embed::EMBEDDING_DIM;
use crate::index::format::{self, put_f32, put_str, put_u16, put_u32, Cursor};
use crate::index::IndexError;
use crate::matcher::{Head, TaughtMode, FIRST_NEW_CLASS_ID};
use thiserror::Error;

/// The 8 bytes every pack starts with.
pub const PACK_MAGIC: [u8; 8] = *b"SORIPAK\0";
/// The pack format version this build reads and writes.
pub const PACK_VERSION: u32 = 1;
/// Info section tag.
pub const TAG_PACK_INFO: [u8; 4] = *b"TINF";
/// Taught classes section tag.
pub const TAG_PACK_CLASSES: [u8; 4] = *b"TCLS";
/// Most classes a pack holds.
pub const MAX_CLASSES: usize = 256;

/// Why a pack was refused. Each message says what to do about it.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PackError {
    /// Not a pack file.
    #[error(
        "not a Sori pack of taught sounds: choose a file exported by Sori (\"taught sounds\")"
    )]
    NotAPack,
    /// Written by a newer Sori.
    #[error("this pack was made by a newer version of Sori (pack format {found}, this one reads {expected}): update Sori on this device, or export the pack again from an older one")]
    Newer {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Written by an older, unsupported format.
    #[error(
        "this pack uses an old format ({found}, this one reads {expected}): teach the sounds again"
    )]
    Older {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Made with other analysis settings (another model or front end).
    #[error("this pack was made with other analysis settings ({found:#018x}, this Sori uses {expected:#018x}): its sounds cannot be used here, teach them again")]
    OtherAnalysis {
        /// Hash in the file.
        found: u64,
        /// Hash of the running build.
        expected: u64,
    },
    /// Incomplete file.
    #[error("this pack is incomplete (it ends inside its {0} part): copy or download it again")]
    Truncated(String),
    /// Damaged file.
    #[error("this pack is damaged (checksum of its {0} part): copy or download it again")]
    Damaged(String),
    /// Checksums pass but the content is inconsistent.
    #[error("this pack is corrupt: {0}")]
    Corrupt(String),
}

impl From<IndexError> for PackError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::BadMagic => PackError::NotAPack,
            IndexError::UnsupportedVersion { found, expected } if found > expected => {
                PackError::Newer { found, expected }
            }
            IndexError::UnsupportedVersion { found, expected } => {
                PackError::Older { found, expected }
            }
            IndexError::FeatureMismatch { found, expected } => {
                PackError::OtherAnalysis { found, expected }
            }
            IndexError::Truncated { section } => PackError::Truncated(section),
            IndexError::Checksum { section } => PackError::Damaged(section),
            IndexError::Corrupt(m) => PackError::Corrupt(m),
        }
    }
}

/// Every taught class of a device, with what they were fitted against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pack {
    /// [`head_hash`] of the shipped head the rows were fitted against (another head: re-learn).
    pub head_hash: u64,
    /// The index's model id, for information.
    pub model_id: String,
    /// The taught classes, in the order they were taught.
    pub classes: Vec<TaughtClass>,
}

/// A stable hash of a head (FNV-1a over its shape, class ids and every number's bits): taught rows
/// fitted against one head are valid with that head only.
pub fn head_hash(head: &Head) -> u64 {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    let mut eat = |bytes: &[u8]| h.write(bytes);
    eat(&head.input_dim.to_le_bytes());
    eat(&(head.outputs.len() as u32).to_le_bytes());
    head.outputs.iter().for_each(|o| eat(&o.to_le_bytes()));
    head.weights
        .iter()
        .chain(&head.bias)
        .for_each(|v| eat(&v.to_bits().to_le_bytes()));
    h.finish()
}

fn mode_code(m: TaughtMode) -> u8 {
    match m {
        TaughtMode::New => 0,
        TaughtMode::Strengthen => 1,
        TaughtMode::Replace => 2,
    }
}

impl Pack {
    /// Encodes the pack. Deterministic; window embeddings are stored as fp16 (so a pack read back
    /// re-encodes to the same bytes). Runs everywhere (the page exports packs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut info = Vec::new();
        info.extend_from_slice(&self.head_hash.to_le_bytes());
        put_str(&mut info, &self.model_id);
        let mut b = Vec::new();
        let classes = &self.classes[..self.classes.len().min(MAX_CLASSES)];
        put_u16(&mut b, classes.len() as u16);
        for c in classes {
            put_u16(&mut b, c.class_id);
            put_str(&mut b, &c.slug);
            put_str(&mut b, &c.name_ko);
            put_str(&mut b, &c.name_en);
            b.push(mode_code(c.mode));
            put_f32(&mut b, c.bias);
            put_f32(&mut b, c.threshold);
            put_f32(&mut b, c.maybe_threshold);
            put_u32(&mut b, c.weights.len() as u32);
            c.weights.iter().for_each(|&w| put_f32(&mut b, w));
            let examples = &c.examples[..c.examples.len().min(usize::from(u16::MAX))];
            put_u16(&mut b, examples.len() as u16);
            for e in examples {
                let windows = &e.windows[..e.windows.len().min(usize::from(u16::MAX))];
                put_u16(&mut b, windows.len() as u16);
                for w in windows {
                    for i in 0..EMBEDDING_DIM {
                        let v = w.get(i).copied().unwrap_or(0.0);
                        b.extend_from_slice(&half::f16::from_f32(v).to_le_bytes());
                    }
                }
                put_u32(&mut b, (e.audio.len() * 2) as u32);
                e.audio
                    .iter()
                    .for_each(|s| b.extend_from_slice(&s.to_le_bytes()));
            }
        }
        format::write_container(
            &PACK_MAGIC,
            PACK_VERSION,
            crate::matcher::analysis_hash(),
            &[(TAG_PACK_INFO, info), (TAG_PACK_CLASSES, b)],
        )
    }

    /// Reads a pack: magic, version, analysis settings, checksums, then every field and
    /// [`Pack::validate`]. Never panics, on any input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Pack, PackError> {
        let header = format::read_container(bytes, &PACK_MAGIC, PACK_VERSION)?;
        let expected = crate::matcher::analysis_hash();
        if header.feature_hash != expected {
            return Err(PackError::OtherAnalysis {
                found: header.feature_hash,
                expected,
            });
        }
        let section = |tag: [u8; 4], name: &str| -> Result<&[u8], PackError> {
            let mut found = header.sections.iter().filter(|s| s.tag == tag);
            match (found.next(), found.next()) {
                (Some(s), None) => {
                    Ok(&bytes[s.offset as usize..s.offset as usize + s.length as usize])
                }
                (None, _) => Err(PackError::Corrupt(format!("its {name} part is missing"))),
                (Some(_), Some(_)) => {
                    Err(PackError::Corrupt(format!("its {name} part appears twice")))
                }
            }
        };
        let mut info = Cursor::new(section(TAG_PACK_INFO, "info")?, "info");
        let head_hash = info.u64()?;
        let model_id = info.str()?;
        info.finish()?;
        let mut c = Cursor::new(section(TAG_PACK_CLASSES, "classes")?, "classes");
        // Smallest class: id, three strings, mode, three floats, dim, example count.
        let n = c.count_u16(2 + 3 * 4 + 1 + 3 * 4 + 4 + 2)?;
        let mut classes = Vec::with_capacity(n);
        for _ in 0..n {
            let class_id = c.u16()?;
            let slug = c.str()?;
            let name_ko = c.str()?;
            let name_en = c.str()?;
            let mode = match c.u8()? {
                0 => TaughtMode::New,
                1 => TaughtMode::Strengthen,
                2 => TaughtMode::Replace,
                x => {
                    return Err(PackError::Corrupt(format!(
                        "class {slug} has unknown mode {x}"
                    )))
                }
            };
            let bias = c.f32()?;
            let threshold = c.f32()?;
            let maybe_threshold = c.f32()?;
            let dim = c.count_u32(4)?;
            let weights = c.f32s(dim)?;
            let m = c.count_u16(2 + 4)?;
            let mut examples = Vec::with_capacity(m);
            for _ in 0..m {
                let w = c.count_u16(2 * EMBEDDING_DIM)?;
                let values = c.f16s(w * EMBEDDING_DIM)?;
                let windows = values
                    .chunks_exact(EMBEDDING_DIM)
                    .map(<[f32]>::to_vec)
                    .collect();
                let audio_bytes = c.blob()?;
                if audio_bytes.len() % 2 != 0 {
                    return Err(PackError::Corrupt(format!(
                        "an example of {slug} has an odd number of audio bytes"
                    )));
                }
                let audio = audio_bytes
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                examples.push(TaughtExample { windows, audio });
            }
            classes.push(TaughtClass {
                class_id,
                slug,
                name_ko,
                name_en,
                mode,
                weights,
                bias,
                threshold,
                maybe_threshold,
                examples,
            });
        }
        c.finish()?;
        let pack = Pack {
            head_hash,
            model_id,
            classes,
        };
        pack.validate()?;
        Ok(pack)
    }

    /// Checks consistency: unique ids and slugs, ids that fit the mode (a new sound has an id of
    /// at least [`FIRST_NEW_CLASS_ID`]), rows of [`CLIP_DIM`] finite weights, thresholds in
    /// 0..=1 with the hedged guess's at most the verdict's, at least one example per class and
    /// one window per example, finite window values.
    pub fn validate(&self) -> Result<(), PackError> {
        let bad = |m: String| Err(PackError::Corrupt(m));
        if self.classes.len() > MAX_CLASSES {
            return bad(format!(
                "{} classes is more than a pack holds",
                self.classes.len()
            ));
        }
        for (i, c) in self.classes.iter().enumerate() {
            if self.classes[..i]
                .iter()
                .any(|o| o.class_id == c.class_id || o.slug == c.slug)
            {
                return bad(format!("class {} ({}) appears twice", c.slug, c.class_id));
            }
            if c.slug.is_empty() || c.slug.len() > 200 {
                return bad(format!(
                    "class {} has an empty or overlong name",
                    c.class_id
                ));
            }
            if c.class_id == 0 || (c.mode == TaughtMode::New) != (c.class_id >= FIRST_NEW_CLASS_ID)
            {
                return bad(format!(
                    "class {} has id {} that does not fit its mode {}",
                    c.slug,
                    c.class_id,
                    c.mode.as_str()
                ));
            }
            if c.weights.len() != CLIP_DIM
                || !c.weights.iter().all(|v| v.is_finite())
                || !c.bias.is_finite()
            {
                return bad(format!(
                    "class {} has a row of {} values (expected {CLIP_DIM} finite numbers)",
                    c.slug,
                    c.weights.len()
                ));
            }
            let unit = |v: f32| (0.0..=1.0).contains(&v);
            if !unit(c.threshold) || !unit(c.maybe_threshold) || c.maybe_threshold > c.threshold {
                return bad(format!("class {} has thresholds out of range", c.slug));
            }
            if c.examples.is_empty() {
                return bad(format!("class {} has no examples", c.slug));
            }
            for e in &c.examples {
                if e.windows.is_empty()
                    || e.windows
                        .iter()
                        .any(|w| w.len() != EMBEDDING_DIM || !w.iter().all(|v| v.is_finite()))
                {
                    return bad(format!(
                        "an example of {} has no or malformed window embeddings",
                        c.slug
                    ));
                }
            }
        }
        Ok(())
    }

    /// The class with this id.
    pub fn class(&self, id: u16) -> Option<&TaughtClass> {
        self.classes.iter().find(|c| c.class_id == id)
    }

    /// The matcher's view of the classes: one row each.
    pub fn rows(&self) -> crate::matcher::TaughtRows {
        crate::matcher::TaughtRows {
            rows: self.classes.iter().map(TaughtClass::row).collect(),
        }
    }
}
