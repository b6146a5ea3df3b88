//! Stage 3, embed: the analysis model, EfficientAT mn04 ([`efficientat`]): a 128-band log-mel of
//! any length ([`crate::features::EfficientAtMel`]) -> 384 pooled features, 512 hidden values, 527
//! AudioSet logits and scores, and its last feature map.
//!
//! The model runs with a hand-written, allocation-free forward pass: no ML runtime, the same code
//! natively and in wasm32 (where `.cargo/config.toml` enables `+simd128` and LLVM vectorises the
//! kernels to `f32x4`). This module holds what the model file loader and the forward pass share:
//! the error type, the bounds-checked reader and envelope of Sori's model files (`format`: magic,
//! version, record count, CRC-32) and the 1x1-convolution GEMM and other kernels (`kernels`).
//! The weight file's layout is documented in [`efficientat`].
//!
//! Until issue 14 the crate also held Google's YAMNet (MobileNetV1 on 96x64 patches); mn04
//! replaced it as the analysis model and its code and weights were removed.
//!
//! # Example
//!
//! ```no_run
//! use sori::embed::efficientat::Mn04;
//! use sori::features::{EfficientAtMel, LogMel};
//! let model = Mn04::from_bytes(&std::fs::read(sori::embed::DEFAULT_MODEL_PATH)?)?;
//! let mut mel = LogMel::default();
//! EfficientAtMel::new().compute_16k_into(&vec![0.0f32; 16_000], &mut mel); // 1 s at 16 kHz
//! let out = model.forward(&mel, &mut model.new_scratch())?;
//! assert_eq!(out.features.len(), sori::embed::EMBEDDING_DIM);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod efficientat;
mod format;
mod kernels;

use thiserror::Error;

/// What the analysis gives for one window: its embedding and AudioSet scores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatchEmbedding {
    /// The window embedding the matcher learns from ([`EMBEDDING_DIM`] values: mn04's pooled
    /// features, non-negative, not normalised).
    pub embedding: Vec<f32>,
    /// The [`NUM_AUDIOSET`] AudioSet scores, each a sigmoid in `[0, 1]`, in [`audioset_labels`]
    /// order.
    pub scores: Vec<f32>,
}

/// Length of the window embedding the matcher learns from: mn04's pooled features.
pub const EMBEDDING_DIM: usize = efficientat::MN04_FEATURES;
/// Number of AudioSet labels the analysis model scores (mn04).
pub const NUM_AUDIOSET: usize = efficientat::NUM_LABELS;
/// Where the analysis model (mn04) lives, relative to the crate root.
pub const DEFAULT_MODEL_PATH: &str = efficientat::MN04_MODEL_PATH;

/// Errors from loading or running the embedding model.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum EmbedError {
    /// The model file is not a Sori model, is truncated or corrupt.
    #[error("invalid model file: {0}")]
    InvalidModel(String),
    /// The file does not start with the model's magic ([`efficientat::MN04_MAGIC`]).
    #[error("not a Sori model of this kind (bad magic)")]
    BadMagic,
    /// The file's format version is not the one this build reads.
    #[error("unsupported model format version {found} (this build reads {expected})")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// The version this build reads ([`efficientat::MN04_FORMAT_VERSION`]).
        expected: u32,
    },
    /// The file ends inside the named section.
    #[error("model file truncated in {section}")]
    Truncated {
        /// What was being read.
        section: String,
    },
    /// The CRC-32 at the end does not match the content.
    #[error("model checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    ChecksumMismatch {
        /// CRC stored in the file.
        stored: u32,
        /// CRC of the bytes read.
        computed: u32,
    },
    /// The input to a forward pass has the wrong shape.
    #[error("invalid model input: {0}")]
    InvalidInput(String),
    /// A layer record does not have the shape the model needs.
    #[error("layer {layer}: {detail}")]
    LayerMismatch {
        /// Zero-based layer record index.
        layer: usize,
        /// What differs.
        detail: String,
    },
}

/// The AudioSet display names the analysis model (mn04) scores, in its score order.
pub fn audioset_labels() -> Vec<&'static str> {
    efficientat::labels()
}

/// Parses `index,mid,display_name` CSV rows (header skipped); display names may be quoted.
fn parse_class_map(csv: &'static str) -> Vec<&'static str> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            // index and mid never contain commas; the rest of the line is the display name.
            let mut parts = line.splitn(3, ',');
            let (_, _, name) = (parts.next()?, parts.next()?, parts.next()?);
            let name = name.trim_end_matches('\r');
            Some(
                name.strip_prefix('"')
                    .and_then(|n| n.strip_suffix('"'))
                    .unwrap_or(name),
            )
        })
        .collect()
}
