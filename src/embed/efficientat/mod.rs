//! EfficientAT `mn04_as`: a 128-band log-mel spectrogram of any length
//! ([`crate::features::EfficientAtMel`]) -> 384 pooled features, 512 hidden values, 527 AudioSet
//! logits and scores ([`Mn04Output`]), plus the last feature map ([`FeatureMap`]).
//!
//! The model is Florian Schmid's MobileNetV3-style AudioSet tagger (MIT; Schmid, Koutini, Widmer,
//! ICASSP 2023), width 0.4, trained on 10 s clips by knowledge distillation. Sori runs it with a
//! hand-written, allocation-free forward pass: no ML runtime, the same code
//! natively and in wasm32 (`+simd128`), BatchNorm folded by `tools/convert_efficientat.py`.
//!
//! ```text
//! input   [T frames][128 mel] (10 ms frames at 32 kHz)                          T x 128 x 1
//! stem    conv 3x3 stride 2, 1 -> 8, Hardswish                                  T/2 x 64 x 8
//! 15 inverted-residual blocks (BLOCKS):
//!         [expand 1x1 cin -> e, act]     (absent when e = cin: block 1)
//!         depthwise kxk stride s, act
//!         [squeeze-excitation: mean over positions -> dense e -> m, ReLU -> dense m -> e, sigmoid
//!          -> multiply each channel by its gate]  (m = BlockSpec::se_width)
//!         project 1x1 e -> cout (no activation)
//!         + block input when stride 1 and cin = cout
//! final   conv 1x1 64 -> 384, Hardswish                                         ceil(T/32) x 4 x 384 (the FeatureMap)
//! pool    mean over all positions                                               features (384)
//! hidden  dense 384 -> 512, Hardswish                                           hidden (512)
//! logits  dense 512 -> 527 (scores = sigmoid)                                   logits (527)
//! ```
//!
//! Convolutions use PyTorch's symmetric padding `k / 2` on every side: a stride-`s` layer maps `n`
//! positions to `(n + 2 (k / 2) - k) / s + 1 = ceil(n / s)`. Activations are stored time-major,
//! channel last (`[t][f][c]`); the converter transposes PyTorch's `[c][mel][time]` weights to match.
//! Any number of frames `T >= 1` works (every stage keeps at least one position); the time axis of
//! the feature map has `ceil(T / 32)` steps, one per 0.32 s of audio.
//!
//! # The `mn04.sorim` format (version 1)
//!
//! All integers and floats little-endian; no padding or alignment between fields.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SORIMN04` |
//! | 8 | 4 | `u32` format version (`1`) |
//! | 12 | 4 | `u32` record count `R` (`64` for mn04) |
//! | 16 | … | `R` layer records, in execution order |
//! | end − 4 | 4 | `u32` CRC-32 (IEEE, as `crc32fast`) of every byte before it |
//!
//! A layer record is a 16-byte header followed by its data:
//!
//! | size | field |
//! | --- | --- |
//! | 1 | `u8` kind: `1` full conv (weights `[kt][kf][cin][cout]`), `2` depthwise (`[kt][kf][c]`, `cout = cin`), `3` pointwise 1x1 (`[cin][cout]`), `4` dense (`[cin][cout]`) |
//! | 1 | `u8` kernel size `k` (1 for kinds 3–4) |
//! | 1 | `u8` stride (1 or 2) |
//! | 1 | `u8` activation: `0` none, `1` ReLU, `2` Hardswish, `3` sigmoid |
//! | 1 | `u8` weight encoding: `0` int8, `1` f16, `2` f32 |
//! | 3 | reserved, zero |
//! | 4×2 | `u32` cin, cout |
//! | 4×cout | `f32` bias (BatchNorm folded in) |
//! | 4×cout | int8 only: `f32` scale per output channel (the last weight axis); weight = `q * scale` |
//! | n, 2n or 4n | the `n` weights: `i8` (symmetric, −127..127), IEEE `f16` or `f32`, in the order above |
//!
//! The 64 records: stem conv; per block [expand pointwise], depthwise, [SE fc1 (dense, ReLU), SE fc2
//! (dense, sigmoid)], project pointwise; final pointwise 64→384; dense 384→512 (Hardswish); dense
//! 512→527. [`Mn04::from_bytes`] checks the magic, version, CRC, that every record has exactly this
//! shape and that every value is finite, and dequantises the weights to `f32` once.
//!
//! # Example
//!
//! ```no_run
//! use sori::embed::efficientat::{Mn04, MN04_MODEL_PATH};
//! use sori::features::{EfficientAtMel, LogMel};
//! let model = Mn04::from_bytes(&std::fs::read(MN04_MODEL_PATH)?)?;
//! let mut front = EfficientAtMel::new();
//! let (mut mel, mut scratch, mut out) = (LogMel::default(), model.new_scratch(), Default::default());
//! let clip16k = vec![0.0f32; 5 * 16_000];
//! front.compute_16k_into(&clip16k, &mut mel); // upsampled x2, 500 frames
//! model.forward_into(&mel, &mut scratch, &mut out);
//! let map = scratch.feature_map(); // 16 x 4 x 384: pool any time range without a second pass
//! let mut first_second = vec![0.0; 384];
//! map.pool_steps(0..3, &mut first_second);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod conv;
mod format;
mod model;

pub use format::{
    encode, Encoding, LayerKind, LayerSpec, LayerWeights, MN04_FORMAT_VERSION, MN04_MAGIC,
};
pub use model::{FeatureMap, Mn04, Mn04Output, Mn04Scratch, StageOutput, MAX_FRAMES};

/// Where the converted model lives, relative to the crate root.
pub const MN04_MODEL_PATH: &str = "assets/model/mn04.sorim";
/// Length of the pooled feature vector (channels of the last 1x1 convolution).
pub const MN04_FEATURES: usize = 384;
/// Width of the classifier's hidden layer.
pub const MN04_HIDDEN: usize = 512;
/// Number of AudioSet labels (`assets/model/efficientat_class_labels.csv`).
pub const NUM_LABELS: usize = 527;
/// Mel bands of the input.
pub const MN04_MEL_BANDS: usize = 128;
/// Input frames per time step of the [`FeatureMap`] (the product of the five stride-2 layers).
pub const FRAMES_PER_STEP: usize = 32;

/// Activation of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Identity.
    None,
    /// `max(x, 0)`.
    Relu,
    /// `x * clamp(x + 3, 0, 6) / 6`.
    Hardswish,
    /// `1 / (1 + e^-x)` (squeeze-excitation gates only).
    Sigmoid,
}

/// One inverted-residual block, as `reference/architecture.txt` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSpec {
    /// Input channels.
    pub cin: usize,
    /// Channels after the expansion (equal to `cin`: no expansion conv).
    pub expanded: usize,
    /// Output channels.
    pub cout: usize,
    /// Depthwise kernel size (3 or 5).
    pub kernel: usize,
    /// Depthwise stride (1 or 2).
    pub stride: usize,
    /// Squeeze-excitation after the depthwise conv.
    pub se: bool,
    /// Activation of the expansion and depthwise convs.
    pub act: Activation,
}

impl BlockSpec {
    /// Whether the block adds its input to its output (stride 1 and `cin == cout`).
    pub fn residual(&self) -> bool {
        self.stride == 1 && self.cin == self.cout
    }

    /// Width of the squeeze-excitation bottleneck: `expanded / 4` rounded to a multiple of 8
    /// (MobileNetV3's rule; 32 -> 8, 48 -> 16, 192 -> 48, 272 -> 72, 384 -> 96).
    pub fn se_width(&self) -> usize {
        let v = self.expanded / 4;
        let r = ((v + 4) / 8 * 8).max(8);
        if (r as f64) < 0.9 * v as f64 {
            r + 8
        } else {
            r
        }
    }
}

const fn block(
    cin: usize,
    expanded: usize,
    cout: usize,
    kernel: usize,
    stride: usize,
    se: bool,
    act: Activation,
) -> BlockSpec {
    BlockSpec {
        cin,
        expanded,
        cout,
        kernel,
        stride,
        se,
        act,
    }
}

use Activation::{Hardswish as HS, Relu as RE};

/// mn04's 15 inverted-residual blocks, in order (checked against the checkpoint by the converter).
pub const BLOCKS: [BlockSpec; 15] = [
    block(8, 8, 8, 3, 1, false, RE),
    block(8, 24, 16, 3, 2, false, RE),
    block(16, 32, 16, 3, 1, false, RE),
    block(16, 32, 16, 5, 2, true, RE),
    block(16, 48, 16, 5, 1, true, RE),
    block(16, 48, 16, 5, 1, true, RE),
    block(16, 96, 32, 3, 2, false, HS),
    block(32, 80, 32, 3, 1, false, HS),
    block(32, 72, 32, 3, 1, false, HS),
    block(32, 72, 32, 3, 1, false, HS),
    block(32, 192, 48, 3, 1, true, HS),
    block(48, 272, 48, 3, 1, true, HS),
    block(48, 272, 64, 5, 2, true, HS),
    block(64, 384, 64, 5, 1, true, HS),
    block(64, 384, 64, 5, 1, true, HS),
];

/// The 527 AudioSet display names in logit order (`assets/model/efficientat_class_labels.csv`,
/// compiled in).
pub fn labels() -> Vec<&'static str> {
    super::parse_class_map(include_str!(
        "../../../assets/model/efficientat_class_labels.csv"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_527_audioset_classes() {
        let l = labels();
        assert_eq!(l.len(), NUM_LABELS);
        assert_eq!(
            (l[0], l[137], l[526]),
            ("Speech", "Music", "Field recording")
        );
        assert!(l.iter().all(|s| !s.is_empty() && !s.contains('"')));
    }

    #[test]
    fn block_table_facts() {
        let widths: Vec<usize> = BLOCKS
            .iter()
            .filter(|b| b.se)
            .map(|b| b.se_width())
            .collect();
        assert_eq!(widths, [8, 16, 16, 48, 72, 72, 96, 96]);
        let residual: Vec<usize> = (1..=15).filter(|&i| BLOCKS[i - 1].residual()).collect();
        assert_eq!(residual, [1, 3, 5, 6, 8, 9, 10, 12, 14, 15]);
        let strides: usize = BLOCKS.iter().map(|b| b.stride).product();
        assert_eq!(2 * strides, FRAMES_PER_STEP);
        for w in BLOCKS.windows(2) {
            assert_eq!(w[0].cout, w[1].cin);
        }
        // Receptive field of one feature-map step, in input frames (FeatureMap's docs): the stem's
        // 3 frames, then (k - 1) x the current jump per depthwise conv.
        let (mut field, mut jump) = (3, 2);
        for b in &BLOCKS {
            field += (b.kernel - 1) * jump;
            jump *= b.stride;
        }
        assert_eq!((field, jump), (595, FRAMES_PER_STEP));
    }
}
