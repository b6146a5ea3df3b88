//! Stage 3, embed: 96x64 log-mel patches ([`crate::features`]) -> YAMNet embeddings (1024) and
//! AudioSet scores (521), as a [`PatchEmbedding`].
//!
//! The submodule [`efficientat`] holds a second model, EfficientAT mn04 (128-band log-mel of any
//! length -> 384 features, 512 hidden values, 527 AudioSet logits and its last feature map), with
//! its own weight file and format; it shares this module's error type and 1x1-convolution GEMM.
//!
//! YAMNet is Google's MobileNetV1 audio classifier (Apache-2.0). Sori runs it with a hand-written,
//! allocation-free forward pass: no ML runtime, the same code natively and in wasm32 (where
//! `.cargo/config.toml` enables `+simd128` and LLVM vectorises the kernels to `f32x4`).
//!
//! ```text
//! patch 96x64x1 (NHWC, frames x mel bands)
//! layer 1      conv 3x3 stride 2, 1 -> 32, + bias, ReLU                     48x32x32
//! layers 2-14  depthwise 3x3 (stride 1,2,1,2,1,2,1,1,1,1,1,2,1) + bias, ReLU,
//!              pointwise 1x1 -> 64,128,128,256,256,512 x 6,1024,1024 + bias, ReLU  -> 3x2x1024
//! pool         mean over the 3x2 positions                                 embedding (1024)
//! logits       dense 1024 -> 521 + bias, sigmoid                           scores (521)
//! ```
//!
//! Convolutions use TensorFlow's `SAME` padding: `out = ceil(in / stride)`, and the
//! `max((out - 1) * stride + 3 - in, 0)` padding rows are split with the smaller half *before*
//! (stride 2 on an even size pads 0 before and 1 after). BatchNorm is folded into the weights and
//! biases by the converter (`tools/convert_yamnet.py`).
//!
//! # The `.sorim` model format (version 1)
//!
//! All integers and floats little-endian; no padding or alignment between fields.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SORIYAMN` |
//! | 8 | 4 | `u32` format version (`1`) |
//! | 12 | 4 | `u32` layer count `L` (`28` for YAMNet) |
//! | 16 | … | `L` layer records, in execution order |
//! | end − 4 | 4 | `u32` CRC-32 (IEEE, as `crc32fast`) of every byte before it |
//!
//! A layer record is a 20-byte header followed by its data:
//!
//! | size | field |
//! | --- | --- |
//! | 1 | `u8` kind: `1` conv 3x3 (weights `[kh][kw][cin][cout]`), `2` depthwise (`[kh][kw][cin]`, `cout = cin`), `3` pointwise 1x1 (`[cin][cout]`), `4` dense (`[cin][cout]`) |
//! | 1 | `u8` stride (1 or 2) |
//! | 1 | `u8` activation: `0` none, `1` ReLU |
//! | 1 | `u8` weight encoding: `0` int8, `1` f16 |
//! | 4×4 | `u32` kh, kw, cin, cout |
//! | 4×cout | `f32` bias (BatchNorm folded in) |
//! | 4×cout | int8 only: `f32` scale per output channel; weight = `q * scale[out]` |
//! | n or 2n | the `n` weights: `i8` (symmetric, −127..127) or IEEE `f16`, in the order above |
//!
//! [`YamNet::from_bytes`] checks the magic, version, CRC, that every record has exactly
//! YAMNet's shape, and that every value is finite; it dequantises the weights to `f32` once.
//!
//! # Example
//!
//! ```no_run
//! use sori::embed::{YamNet, MEL_BANDS, PATCH_FRAMES};
//! let bytes = std::fs::read(sori::embed::DEFAULT_MODEL_PATH)?;
//! let model = YamNet::from_bytes(&bytes)?;
//! let mut scratch = model.new_scratch();
//! let patch = vec![-6.9f32; PATCH_FRAMES * MEL_BANDS]; // ln(0.001): silence
//! let out = model.embed_patch(&patch, &mut scratch);
//! assert_eq!(out.embedding.len(), sori::embed::EMBEDDING_DIM);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod efficientat;
mod format;
mod kernels;
mod yamnet;

pub use format::{FORMAT_VERSION, MAGIC};
pub use yamnet::{PatchEmbedding, Scratch, YamNet};

use thiserror::Error;

/// Frames (10 ms each) in one YAMNet input patch (0.96 s).
pub const PATCH_FRAMES: usize = 96;
/// Mel bands per frame.
pub const MEL_BANDS: usize = 64;
/// Length of a YAMNet embedding (the pooled output of layer 14).
pub const YAMNET_EMBEDDING_DIM: usize = 1024;
/// Number of AudioSet classes YAMNet scores.
pub const YAMNET_LABELS: usize = 521;
/// Where the converted YAMNet lives, relative to the crate root.
pub const YAMNET_MODEL_PATH: &str = "assets/model/yamnet.sorim";

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
    /// The file does not start with the model's magic ([`MAGIC`] for YAMNet,
    /// [`efficientat::MN04_MAGIC`] for mn04).
    #[error("not a Sori model of this kind (bad magic)")]
    BadMagic,
    /// The file's format version is not the one this build reads.
    #[error("unsupported model format version {found} (this build reads {expected})")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// [`FORMAT_VERSION`].
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
    /// The input to a forward pass has the wrong shape (mn04; YAMNet's fixed patch size is checked
    /// by an assertion instead).
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

/// The 521 AudioSet display names, in YAMNet's score order
/// (from `assets/model/yamnet_class_map.csv`, compiled in).
pub fn yamnet_labels() -> Vec<&'static str> {
    parse_class_map(include_str!("../../assets/model/yamnet_class_map.csv"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_521_audioset_classes() {
        let labels = yamnet_labels();
        assert_eq!(labels.len(), YAMNET_LABELS);
        assert_eq!(labels[0], "Speech");
        assert_eq!(labels[1], "Child speech, kid speaking");
        assert_eq!(labels[YAMNET_LABELS - 1], "Field recording");
        assert!(labels.iter().all(|l| !l.is_empty() && !l.starts_with('"')));
    }
}
