//! Stage 3, index: the versioned binary file holding the classes, their images, the
//! classifier head, zero-shot rules, exemplar embeddings and fingerprint hashes.
//!
//! Input: index bytes (`include_bytes!` or fetched). Output: an [`Index`] of plain data.
//! [`Index::from_bytes`] runs everywhere and never panics; [`Index::to_bytes`] is native
//! only. The byte layout is documented in [`mod@format`]; [`inspect_report`] summarises a file.

pub mod format;
mod inspect;
pub mod photos;
mod reader;
pub mod sounds;
#[cfg(not(target_arch = "wasm32"))]
mod writer;

pub use inspect::inspect_report;
#[cfg(not(target_arch = "wasm32"))]
pub use writer::{quantisation_cost, QuantisationCost};

use crate::fingerprint::FingerprintTable;
use crate::matcher::{Coverage, Exemplars, Head, ZeroShot};
use crate::taxonomy::ClassInfo;
use thiserror::Error;

/// Errors from reading or checking an index. Each message says what to do about it.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum IndexError {
    /// Not an index file.
    #[error("not a Sori index (bad magic): pass a file written by `sori build`")]
    BadMagic,
    /// Written by a different version of the format.
    #[error("index format version {found} is not supported (this build reads version {expected}): rebuild the index with this version of sori")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Built for a different audio front end (log-mel or fingerprint settings) than the one running.
    #[error("index was built with analysis settings {found:#018x} (log-mel and fingerprint configs) but this build uses {expected:#018x}: rebuild the index with this version of sori")]
    FeatureMismatch {
        /// Hash stored in the index.
        found: u64,
        /// Hash of the running build ([`crate::matcher::analysis_hash`]).
        expected: u64,
    },
    /// The file ends inside a section (an incomplete download or copy).
    #[error("index is truncated in the {section} section: the file is incomplete, download or copy it again")]
    Truncated {
        /// Section (or `header`) that runs past the end.
        section: String,
    },
    /// A section's bytes do not match its checksum.
    #[error("index checksum mismatch in the {section} section: the file is damaged, download or rebuild it")]
    Checksum {
        /// Section (or `header`) whose CRC-32 failed.
        section: String,
    },
    /// Checksums pass but the content is inconsistent.
    #[error("index is corrupt: {0}")]
    Corrupt(String),
}

/// An image shown for a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassImage {
    /// One of [`format::IMAGE_MIMES`]: `image/svg+xml`, `image/webp`, `image/png`, `image/jpeg`.
    pub mime: String,
    /// The encoded image (SVGs are sanitised at build time).
    pub bytes: Vec<u8>,
    /// Attribution to display with it.
    pub credit: String,
}

/// One class as the index knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexClass {
    /// Id, slug and names.
    pub info: ClassInfo,
    /// What the index can do for the class.
    pub coverage: Coverage,
    /// Training clips the head saw for it.
    pub clips: u32,
    /// Distinct recordings those clips came from.
    pub recordings: u32,
    /// The image to show, if any.
    pub image: Option<ClassImage>,
}

/// A finer kind of sound within a class (the dataset's `depth3`, e.g. `국 끓이기` within `끓이기`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SubClass {
    /// The class it belongs to.
    pub class_id: u16,
    /// Its name, as the dataset writes it.
    pub name: String,
    /// Sound files of it the build saw.
    pub sounds: u32,
    /// Image files of it the build saw.
    pub images: u32,
}

/// A whole index, as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// [`crate::matcher::analysis_hash`] of the build that wrote the index (log-mel front end and
    /// fingerprint settings).
    pub feature_hash: u64,
    /// Which embedding model the head expects, e.g. `efficientat-mn04-v1`.
    pub model_id: String,
    /// All classes, in id order.
    pub classes: Vec<IndexClass>,
    /// The trained classifier head.
    pub head: Head,
    /// The zero-shot prior for classes without recordings.
    pub zero_shot: ZeroShot,
    /// Reference clip embeddings.
    pub exemplars: Exemplars,
    /// Landmark hashes of reference recordings.
    pub fingerprints: FingerprintTable,
    /// Free text: source, clip counts, build command (no timestamps).
    pub build_info: String,
    /// Sub-classes of the dataset it was built from, sorted (empty for most corpora).
    pub subclasses: Vec<SubClass>,
    /// What teaching learns new classes against (the optional `TNEG` section; empty in indexes
    /// built before teaching, which then cannot be taught).
    pub teach_negatives: crate::teach::Negatives,
    /// Classes taught on top of the head and merged into the index (the optional `TAUG` section,
    /// a whole pack), answered by every matcher of the index.
    pub taught: Option<crate::teach::Pack>,
}

/// The AudioSet labels the analysis model scores; zero-shot rules index into them.
pub const AUDIOSET_LABELS: u16 = crate::embed::NUM_AUDIOSET as u16;

impl Index {
    /// Reads an index from bytes. Checks magic, version and checksums, then that the
    /// content is consistent ([`Index::validate`]). Never panics, on any input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index, IndexError> {
        reader::read(bytes)
    }

    /// Errors with [`IndexError::FeatureMismatch`] unless the index was built with the
    /// front end whose config hash is `expected_hash`.
    pub fn check_features(&self, expected_hash: u64) -> Result<(), IndexError> {
        if self.feature_hash == expected_hash {
            Ok(())
        } else {
            Err(IndexError::FeatureMismatch {
                found: self.feature_hash,
                expected: expected_hash,
            })
        }
    }

    /// The class with this slug.
    pub fn class_by_slug(&self, slug: &str) -> Option<&IndexClass> {
        self.classes.iter().find(|c| c.info.slug == slug)
    }

    /// The class with this id.
    pub fn class_by_id(&self, id: u16) -> Option<&IndexClass> {
        self.classes.iter().find(|c| c.info.id == id)
    }

    /// Checks internal consistency: unique class ids, known image types, head and
    /// exemplar shapes, finite numbers, class ids that exist, fingerprint entries sorted
    /// and pointing at known recordings. [`Index::to_bytes`] output of an index that
    /// passes this reads back; the reader runs it on every file.
    pub fn validate(&self) -> Result<(), IndexError> {
        let bad = |m: String| Err(IndexError::Corrupt(m));
        if self.classes.len() > usize::from(u16::MAX) {
            return bad(format!(
                "{} classes is more than the format allows",
                self.classes.len()
            ));
        }
        let mut ids: Vec<u16> = self.classes.iter().map(|c| c.info.id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) || ids.first() == Some(&0) {
            return bad("class ids must be unique and non-zero".into());
        }
        let known = |id: u16| ids.binary_search(&id).is_ok();
        for c in &self.classes {
            if let Some(img) = &c.image {
                if !format::IMAGE_MIMES.contains(&img.mime.as_str()) {
                    return bad(format!(
                        "class {} has an image of unsupported type {:?}",
                        c.info.slug, img.mime
                    ));
                }
            }
        }
        let h = &self.head;
        let k = h.outputs.len();
        let dim = h.input_dim as usize;
        if h.bias.len() != k || dim.checked_mul(k) != Some(h.weights.len()) {
            return bad(format!(
                "head shape mismatch: {k} outputs x {dim} inputs but {} weights and {} biases",
                h.weights.len(),
                h.bias.len()
            ));
        }
        if let Some(&o) = h.outputs.iter().find(|&&o| o != 0 && !known(o)) {
            return bad(format!("head output for unknown class id {o}"));
        }
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        if !finite(&h.weights)
            || !finite(&h.bias)
            || !h.unknown_threshold.is_finite()
            || !h.maybe_threshold.is_finite()
        {
            return bad("head has non-finite numbers".into());
        }
        let z = &self.zero_shot;
        if !z.threshold.is_finite() {
            return bad("zero-shot threshold is not finite".into());
        }
        for r in &z.rules {
            if !known(r.class_id) {
                return bad(format!(
                    "zero-shot rule for unknown class id {}",
                    r.class_id
                ));
            }
            if let Some(l) = r.labels.iter().find(|&&l| l >= AUDIOSET_LABELS) {
                return bad(format!(
                    "zero-shot label {l} is not an AudioSet label (0..{AUDIOSET_LABELS})"
                ));
            }
        }
        let e = &self.exemplars;
        if (e.dim as usize).checked_mul(e.class_ids.len()) != Some(e.vectors.len()) {
            return bad(format!(
                "exemplar shape mismatch: {} x {} but {} values",
                e.class_ids.len(),
                e.dim,
                e.vectors.len()
            ));
        }
        if !finite(&e.vectors) {
            return bad("exemplars have non-finite numbers".into());
        }
        if let Some(&c) = e.class_ids.iter().find(|&&c| !known(c)) {
            return bad(format!("exemplar of unknown class id {c}"));
        }
        let f = &self.fingerprints;
        if f.recordings.len() > usize::from(u16::MAX) {
            return bad(format!(
                "{} fingerprint recordings is more than the format allows",
                f.recordings.len()
            ));
        }
        if let Some(r) = f.recordings.iter().find(|r| !known(r.class_id)) {
            return bad(format!(
                "fingerprint recording {} of unknown class id {}",
                r.name, r.class_id
            ));
        }
        if f.entries
            .iter()
            .any(|e| usize::from(e.recording) >= f.recordings.len())
        {
            return bad("fingerprint entry points past the recording list".into());
        }
        if f.entries.windows(2).any(|w| w[0] > w[1]) {
            return bad("fingerprint entries are not sorted".into());
        }
        if let Some(s) = self.subclasses.iter().find(|s| !known(s.class_id)) {
            return bad(format!(
                "sub-class {:?} of unknown class id {}",
                s.name, s.class_id
            ));
        }
        if self.subclasses.windows(2).any(|w| w[0] >= w[1])
            || self.subclasses.len() > usize::from(u16::MAX)
        {
            return bad("sub-classes are not sorted and unique".into());
        }
        let t = &self.teach_negatives;
        if !t.outputs.is_empty()
            && (k.checked_mul(t.outputs.len()) != Some(t.logits.len())
                || t.outputs.len() * crate::teach::learn::SKETCH_DIM != t.sketches.len()
                || !finite(&t.sketches)
                || !t.x.is_empty()
                || t.outputs.iter().any(|&o| usize::from(o) >= k)
                || !finite(&t.logits))
        {
            return bad("teaching negatives do not fit the head".into());
        }
        if t.outputs.is_empty() && !(t.logits.is_empty() && t.sketches.is_empty()) {
            return bad("teaching negatives without outputs".into());
        }
        if let Some(pack) = &self.taught {
            pack.validate()
                .map_err(|e| IndexError::Corrupt(format!("its taught classes: {e}")))?;
            if pack.head_hash != crate::teach::head_hash(&self.head) {
                return bad("its taught classes were fitted against another head".into());
            }
            for c in &pack.classes {
                let shipped = self.class_by_id(c.class_id);
                if (c.mode == crate::matcher::TaughtMode::New) != shipped.is_none()
                    || (shipped.is_none() && self.class_by_slug(&c.slug).is_some())
                    || shipped.is_some_and(|s| s.info.slug != c.slug)
                {
                    return bad(format!(
                        "taught class {} ({}) does not fit the index's classes",
                        c.slug, c.class_id
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_actionable_messages() {
        let e = IndexError::UnsupportedVersion {
            found: 9,
            expected: 1,
        }
        .to_string();
        assert!(e.contains('9') && e.contains("rebuild"));
        let e = IndexError::FeatureMismatch {
            found: 1,
            expected: 2,
        }
        .to_string();
        assert!(e.contains("0x0000000000000001") && e.contains("rebuild"));
        assert!(IndexError::Truncated {
            section: "head".into()
        }
        .to_string()
        .contains("head"));
    }

    #[test]
    fn check_features_compares_hashes() {
        let idx = Index {
            feature_hash: 7,
            model_id: String::new(),
            classes: vec![],
            head: Head::default(),
            zero_shot: ZeroShot::default(),
            exemplars: Exemplars::default(),
            fingerprints: FingerprintTable::default(),
            build_info: String::new(),
            subclasses: Vec::new(),
            teach_negatives: Default::default(),
            taught: None,
        };
        assert!(idx.check_features(7).is_ok());
        assert_eq!(
            idx.check_features(8),
            Err(IndexError::FeatureMismatch {
                found: 7,
                expected: 8
            })
        );
        assert!(idx.validate().is_ok());
    }
}
