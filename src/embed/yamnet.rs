//! The model: one 96x64 log-mel patch (`&[f32]`) -> [`PatchEmbedding`] (1024-d embedding and
//! 521 AudioSet scores), with buffers preallocated in a [`Scratch`].

use super::format::{self, Kind, Layer, ARCHITECTURE};
use super::kernels::{self, MR, MR_WIDE, NR};
use super::{
    EmbedError, MEL_BANDS, PATCH_FRAMES, YAMNET_EMBEDDING_DIM as EMBEDDING_DIM,
    YAMNET_LABELS as NUM_AUDIOSET,
};

/// YAMNet's output for one patch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatchEmbedding {
    /// The 1024-d embedding: the mean over the last feature map (non-negative, not normalised).
    pub embedding: Vec<f32>,
    /// The 521 AudioSet scores, each a sigmoid in `[0, 1]`, in [`super::audioset_labels`] order.
    pub scores: Vec<f32>,
}

/// Preallocated working memory for [`YamNet::embed_patch`]; make one per thread with
/// [`YamNet::new_scratch`] and reuse it.
#[derive(Debug, Clone)]
pub struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
    packed: Vec<f32>,
}

/// A depthwise + pointwise block.
#[derive(Debug, Clone)]
struct Block {
    stride: usize,
    dw_weights: Vec<f32>,
    dw_bias: Vec<f32>,
    /// Pointwise weights packed as `NR`-column panels (see `kernels::pack_panels`).
    pw_panels: Vec<f32>,
    pw_bias: Vec<f32>,
}

/// YAMNet with dequantised `f32` weights, ready to run.
///
/// Loading is fallible ([`YamNet::from_bytes`]); running is not. The struct is immutable and
/// `Send + Sync`: share one behind an `Arc` and give each thread its own [`Scratch`].
#[derive(Debug, Clone)]
pub struct YamNet {
    conv_weights: Vec<f32>,
    conv_bias: Vec<f32>,
    conv_stride: usize,
    blocks: Vec<Block>,
    dense_weights: Vec<f32>,
    dense_bias: Vec<f32>,
}

impl YamNet {
    /// Loads a `.sorim` model (see the [module docs](super) for the format), checking its magic,
    /// version, CRC-32, every layer's shape and that all values are finite.
    ///
    /// # Errors
    /// An [`EmbedError`] describing the first problem found; never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<YamNet, EmbedError> {
        let mut layers = format::parse(bytes)?.into_iter();
        let mut next = || {
            layers
                .next()
                .ok_or_else(|| EmbedError::InvalidModel("missing layer".into()))
        };
        let conv = next()?;
        let mut blocks = Vec::with_capacity(13);
        for _ in 0..13 {
            let dw = next()?;
            let pw = next()?;
            let (cin, cout) = (pw.spec.cin, pw.spec.cout);
            if cout % NR != 0 {
                return Err(EmbedError::InvalidModel(format!(
                    "pointwise width {cout} is not a multiple of {NR}"
                )));
            }
            blocks.push(Block {
                stride: dw.spec.stride,
                dw_weights: dw.weights,
                dw_bias: dw.bias,
                pw_panels: kernels::pack_panels(&pw.weights, cin, cout),
                pw_bias: pw.bias,
            });
        }
        let Layer {
            weights: dense_weights,
            bias: dense_bias,
            ..
        } = next()?;
        debug_assert_eq!(conv.spec.kind, Kind::Conv);
        Ok(YamNet {
            conv_weights: conv.weights,
            conv_bias: conv.bias,
            conv_stride: conv.spec.stride,
            blocks,
            dense_weights,
            dense_bias,
        })
    }

    /// Allocates the buffers one forward pass needs (about 1 MB).
    pub fn new_scratch(&self) -> Scratch {
        let (mut act, mut packed) = (0usize, 0usize);
        let (mut h, mut w) = (
            PATCH_FRAMES.div_ceil(self.conv_stride),
            MEL_BANDS.div_ceil(self.conv_stride),
        );
        act = act.max(h * w * ARCHITECTURE[0].cout);
        for (i, b) in self.blocks.iter().enumerate() {
            let cin = ARCHITECTURE[1 + 2 * i].cin;
            (h, w) = (h.div_ceil(b.stride), w.div_ceil(b.stride));
            act = act.max(h * w * cin).max(h * w * b.pw_bias.len());
            packed = packed.max((h * w).div_ceil(MR_WIDE) * MR_WIDE * cin);
        }
        Scratch {
            a: vec![0.0; act],
            b: vec![0.0; act],
            packed: vec![0.0; packed],
        }
    }

    /// Runs YAMNet on one patch and returns the embedding and scores.
    ///
    /// `patch` holds `PATCH_FRAMES * MEL_BANDS` log-mel values, row-major frames x bands (as
    /// [`crate::features`] produces them). Allocates only the two output vectors; use
    /// [`YamNet::embed_patch_into`] to reuse them too.
    ///
    /// # Panics
    /// If `patch.len() != PATCH_FRAMES * MEL_BANDS` or `scratch` was made by a different model.
    pub fn embed_patch(&self, patch: &[f32], scratch: &mut Scratch) -> PatchEmbedding {
        let mut out = PatchEmbedding {
            embedding: vec![0.0; EMBEDDING_DIM],
            scores: vec![0.0; NUM_AUDIOSET],
        };
        self.embed_patch_into(patch, scratch, &mut out);
        out
    }

    /// Like [`YamNet::embed_patch`], writing into `out` (resized to 1024 and 521 values if needed);
    /// allocates nothing once `out` has its size.
    ///
    /// # Panics
    /// If `patch.len() != PATCH_FRAMES * MEL_BANDS` or `scratch` was made by a different model.
    pub fn embed_patch_into(&self, patch: &[f32], scratch: &mut Scratch, out: &mut PatchEmbedding) {
        assert_eq!(
            patch.len(),
            PATCH_FRAMES * MEL_BANDS,
            "a YAMNet patch is {PATCH_FRAMES} frames x {MEL_BANDS} mel bands"
        );
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            unsafe { self.forward_avx2_fma(patch, scratch, out) };
            return;
        }
        self.forward::<MR, false>(patch, scratch, out);
    }

    /// [`YamNet::forward`] compiled for AVX2 + FMA (8-wide vectors, fused multiply-adds).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn forward_avx2_fma(
        &self,
        patch: &[f32],
        scratch: &mut Scratch,
        out: &mut PatchEmbedding,
    ) {
        self.forward::<MR_WIDE, true>(patch, scratch, out);
    }

    /// The forward pass; `MR` and `FMA` select the GEMM micro-kernel (see `kernels::pointwise`).
    #[inline(always)]
    fn forward<const MR_: usize, const FMA: bool>(
        &self,
        patch: &[f32],
        scratch: &mut Scratch,
        out: &mut PatchEmbedding,
    ) {
        let Scratch { a, b, packed } = scratch;
        let (mut h, mut w) = kernels::conv3x3(
            patch,
            (PATCH_FRAMES, MEL_BANDS, 1),
            &self.conv_weights,
            &self.conv_bias,
            self.conv_stride,
            a,
        );
        let mut c = self.conv_bias.len();
        for block in &self.blocks {
            (h, w) = kernels::depthwise3x3(
                a,
                (h, w, c),
                &block.dw_weights,
                &block.dw_bias,
                block.stride,
                b,
            );
            kernels::pack_rows::<MR_>(b, h * w, c, packed);
            kernels::pointwise::<MR_, FMA>(
                packed,
                h * w,
                c,
                &block.pw_panels,
                &block.pw_bias,
                kernels::Epilogue::Store(kernels::Act::Relu),
                a,
            );
            c = block.pw_bias.len();
        }
        out.embedding.resize(EMBEDDING_DIM, 0.0);
        out.scores.resize(NUM_AUDIOSET, 0.0);
        kernels::mean_pool(&a[..h * w * c], h * w, &mut out.embedding);
        kernels::dense(
            &out.embedding,
            &self.dense_weights,
            &self.dense_bias,
            &mut out.scores,
        );
        for s in &mut out.scores {
            *s = 1.0 / (1.0 + (-*s).exp());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_model_runs_and_gives_finite_outputs() {
        let model = YamNet::from_bytes(&format::tests::tiny_model()).expect("valid model");
        let mut scratch = model.new_scratch();
        let patch: Vec<f32> = (0..PATCH_FRAMES * MEL_BANDS)
            .map(|i| ((i % 97) as f32 - 48.0) / 48.0)
            .collect();
        let out = model.embed_patch(&patch, &mut scratch);
        assert_eq!(out.embedding.len(), EMBEDDING_DIM);
        assert_eq!(out.scores.len(), NUM_AUDIOSET);
        assert!(out.embedding.iter().all(|x| x.is_finite() && *x >= 0.0));
        assert!(out.scores.iter().all(|s| (0.0..=1.0).contains(s)));
        // Same input, same scratch reused: same output.
        assert_eq!(model.embed_patch(&patch, &mut scratch), out);
    }

    #[test]
    fn portable_path_agrees_with_the_dispatched_one() {
        // On x86-64 with AVX2 + FMA, embed_patch takes the 8-row FMA kernel; check the portable one too.
        let model = YamNet::from_bytes(&format::tests::tiny_model()).expect("valid model");
        let mut scratch = model.new_scratch();
        let patch: Vec<f32> = (0..PATCH_FRAMES * MEL_BANDS)
            .map(|i| ((i % 89) as f32 - 44.0) / 44.0)
            .collect();
        let fast = model.embed_patch(&patch, &mut scratch);
        let mut portable = PatchEmbedding::default();
        model.forward::<MR, false>(&patch, &mut scratch, &mut portable);
        for (a, b) in fast
            .embedding
            .iter()
            .zip(&portable.embedding)
            .chain(fast.scores.iter().zip(&portable.scores))
        {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
        }
        assert!(
            portable.embedding.iter().any(|&x| x > 0.0),
            "degenerate all-zero embedding"
        );
    }

    #[test]
    #[should_panic(expected = "a YAMNet patch is")]
    fn wrong_patch_length_panics() {
        let model = YamNet::from_bytes(&format::tests::tiny_model()).expect("valid model");
        let mut scratch = model.new_scratch();
        model.embed_patch(&[0.0; 10], &mut scratch);
    }
}
