//! The model: a 128-band [`LogMel`] of any length -> [`Mn04Output`] (features, hidden, logits,
//! scores) and, in the [`Mn04Scratch`], the last feature map ([`FeatureMap`]).

use super::conv::{self, LANES};
use super::format::{self, LayerWeights};
use super::{
    Activation, BlockSpec, BLOCKS, FRAMES_PER_STEP, MN04_FEATURES, MN04_HIDDEN, MN04_MEL_BANDS,
    NUM_LABELS,
};
use crate::embed::kernels::{self, Act, Epilogue, MR, MR_WIDE, NR};
use crate::embed::EmbedError;
use crate::features::LogMel;

/// Longest input [`Mn04::forward_into`] accepts, in frames (120 s at 10 ms): the scratch grows by
/// about 6 KB per frame (74 MB at this limit), so split longer audio.
pub const MAX_FRAMES: usize = 12_000;

/// mn04's outputs for one input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mn04Output {
    /// The 384 pooled features: mean of the [`FeatureMap`] over all positions.
    pub features: Vec<f32>,
    /// The classifier's 512 hidden values (Hardswish of a dense layer on the features).
    pub hidden: Vec<f32>,
    /// The 527 AudioSet logits, in [`super::labels`] order.
    pub logits: Vec<f32>,
    /// `sigmoid(logits)`: the label scores in `[0, 1]`.
    pub scores: Vec<f32>,
}

/// The last feature map of a forward pass, `steps x bands x channels` (time-major):
/// `data[(t * bands + f) * channels + c]`, 384 channels, `bands = 4`, one time step per
/// [`FRAMES_PER_STEP`] input frames (0.32 s).
///
/// Pooling a range of steps ([`FeatureMap::pool_steps`]) is not the same as running the model on
/// that stretch of audio alone: each step's receptive field spans up to 595 input frames (about
/// 6 s; every layer zero-pads at the ends), and the squeeze-excitation gates of blocks 4–6 and
/// 11–15 come from means over the *whole* input, so every step depends a little on the rest of
/// the clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureMap<'a> {
    /// Time steps: `ceil(frames / 32)` (rounded up at each stride-2 layer).
    pub steps: usize,
    /// Frequency positions (4 for 128 mel bands).
    pub bands: usize,
    /// Channels (384).
    pub channels: usize,
    /// The values, `steps * bands * channels`.
    pub data: &'a [f32],
}

impl FeatureMap<'_> {
    /// Mean over the time steps in `steps` (clamped to the map) and every band, into `out`
    /// (`channels` values). Over all steps it equals [`Mn04Output::features`] up to rounding.
    /// An empty range gives zeros.
    ///
    /// # Panics
    /// If `out.len() != self.channels`.
    pub fn pool_steps(&self, steps: std::ops::Range<usize>, out: &mut [f32]) {
        assert_eq!(out.len(), self.channels, "output length");
        let (t0, t1) = (steps.start.min(self.steps), steps.end.min(self.steps));
        out.fill(0.0);
        if t0 >= t1 {
            return;
        }
        let row = self.bands * self.channels;
        let n = (t1 - t0) * self.bands;
        kernels::mean_pool(&self.data[t0 * row..t1 * row], n, out);
    }
}

/// One stage's output, copied out by [`Mn04::forward_traced`]: `steps x bands x channels`,
/// time-major, channel last (the layout of [`FeatureMap`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StageOutput {
    /// Time positions.
    pub steps: usize,
    /// Frequency positions.
    pub bands: usize,
    /// Channels.
    pub channels: usize,
    /// `steps * bands * channels` values.
    pub data: Vec<f32>,
}

fn trace(
    stages: &mut Option<&mut Vec<StageOutput>>,
    data: &[f32],
    (h, w, c): (usize, usize, usize),
) {
    if let Some(v) = stages {
        v.push(StageOutput {
            steps: h,
            bands: w,
            channels: c,
            data: data[..h * w * c].to_vec(),
        });
    }
}

/// Working memory for [`Mn04::forward_into`]: one per thread, reused. It grows to the largest
/// input seen and never shrinks; a pass at a length already seen allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct Mn04Scratch {
    frames: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    packed: Vec<f32>,
    pooled: Vec<f32>,
    squeezed: Vec<f32>,
    gate: Vec<f32>,
    map: Vec<f32>,
    map_dims: (usize, usize),
}

impl Mn04Scratch {
    /// The last feature map computed with this scratch (empty before the first pass).
    pub fn feature_map(&self) -> FeatureMap<'_> {
        let (steps, bands) = self.map_dims;
        FeatureMap {
            steps,
            bands,
            channels: MN04_FEATURES,
            data: &self.map[..steps * bands * MN04_FEATURES],
        }
    }

    /// Sizes every buffer for `frames` input frames (no-op when already big enough).
    fn ensure(&mut self, frames: usize) {
        if frames <= self.frames {
            return;
        }
        let grow = |v: &mut Vec<f32>, n: usize| {
            if v.len() < n {
                v.resize(n, 0.0);
            }
        };
        let round = |rows: usize| rows.div_ceil(MR_WIDE) * MR_WIDE;
        let (mut h, mut w) = (frames.div_ceil(2), MN04_MEL_BANDS.div_ceil(2));
        let (mut a, mut b, mut c, mut packed) = (h * w * BLOCKS[0].cin, 0, 0, 0);
        for blk in &BLOCKS {
            let rows_in = h * w;
            (h, w) = (h.div_ceil(blk.stride), w.div_ceil(blk.stride));
            b = b.max(rows_in * blk.expanded);
            c = c.max(h * w * blk.expanded);
            a = a.max(h * w * blk.cout);
            packed = packed
                .max(round(rows_in) * blk.cin)
                .max(round(h * w) * blk.expanded);
        }
        grow(&mut self.a, a);
        grow(&mut self.b, b);
        grow(&mut self.c, c);
        grow(&mut self.packed, packed.max(round(h * w) * BLOCKS[14].cout));
        grow(&mut self.map, h * w * MN04_FEATURES);
        for v in [&mut self.pooled, &mut self.squeezed, &mut self.gate] {
            grow(v, MN04_FEATURES);
        }
        self.frames = frames;
    }
}

/// A 1x1 convolution with packed weights.
#[derive(Debug, Clone)]
struct Pointwise {
    cin: usize,
    panels: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Debug, Clone)]
struct Block {
    spec: BlockSpec,
    expand: Option<Pointwise>,
    dw: LayerWeights,
    se: Option<(LayerWeights, LayerWeights)>,
    project: Pointwise,
}

/// EfficientAT mn04 with dequantised `f32` weights, ready to run.
///
/// Loading is fallible ([`Mn04::from_bytes`]); so is running, only for input of the wrong shape.
/// The struct is immutable and `Send + Sync`: share one behind an `Arc` and give each thread its
/// own [`Mn04Scratch`].
#[derive(Debug, Clone)]
pub struct Mn04 {
    stem: LayerWeights,
    blocks: Vec<Block>,
    last: Pointwise,
    hidden: LayerWeights,
    logits: LayerWeights,
}

fn act(a: Activation) -> Act {
    match a {
        Activation::Relu => Act::Relu,
        Activation::Hardswish => Act::Hardswish,
        Activation::None | Activation::Sigmoid => Act::None,
    }
}

fn hardswish(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = Act::Hardswish.apply(*x));
}

impl Mn04 {
    /// Loads an `mn04.sorim` model (see the [module docs](super) for the format), checking its
    /// magic, version, CRC-32, every record's shape and that all values are finite.
    ///
    /// # Errors
    /// An [`EmbedError`] describing the first problem found; never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Mn04, EmbedError> {
        let mut layers = format::parse(bytes)?.into_iter();
        // `parse` returns exactly the records of `LayerSpec::all()`, which follow BLOCKS.
        let mut next = || {
            layers
                .next()
                .ok_or_else(|| EmbedError::InvalidModel("missing record".into()))
        };
        let pointwise = |l: LayerWeights| {
            let (cin, cout) = (l.spec.cin, l.spec.cout);
            debug_assert!(cout % NR == 0 && cout % LANES == 0);
            Pointwise {
                cin,
                panels: kernels::pack_panels(&l.weights, cin, cout),
                bias: l.bias,
            }
        };
        let stem = next()?;
        let mut blocks = Vec::with_capacity(BLOCKS.len());
        for spec in BLOCKS {
            let expand = (spec.expanded != spec.cin)
                .then(&mut next)
                .transpose()?
                .map(pointwise);
            let dw = next()?;
            let se = if spec.se {
                Some((next()?, next()?))
            } else {
                None
            };
            let project = pointwise(next()?);
            blocks.push(Block {
                spec,
                expand,
                dw,
                se,
                project,
            });
        }
        Ok(Mn04 {
            stem,
            blocks,
            last: pointwise(next()?),
            hidden: next()?,
            logits: next()?,
        })
    }

    /// An empty scratch; it grows on first use (about 6 KB per input frame: 3 MB for 5 s).
    pub fn new_scratch(&self) -> Mn04Scratch {
        Mn04Scratch::default()
    }

    /// Runs the model on `mel` and returns its outputs; see [`Mn04::forward_into`].
    ///
    /// # Errors
    /// As [`Mn04::forward_into`].
    pub fn forward(
        &self,
        mel: &LogMel,
        scratch: &mut Mn04Scratch,
    ) -> Result<Mn04Output, EmbedError> {
        let mut out = Mn04Output::default();
        self.forward_into(mel, scratch, &mut out)?;
        Ok(out)
    }

    /// Runs the model on `mel` (128 bands, 1..=[`MAX_FRAMES`] frames, as
    /// [`crate::features::EfficientAtMel`] computes them), writing `out` (resized to 384, 512, 527
    /// and 527 values) and the feature map in `scratch`. Allocates nothing once `scratch` has seen
    /// this many frames and `out` has its sizes. Non-finite input gives non-finite output.
    ///
    /// # Errors
    /// [`EmbedError::InvalidInput`] for a band count other than 128, no frames, more than
    /// [`MAX_FRAMES`], or `mel.data` of the wrong length.
    pub fn forward_into(
        &self,
        mel: &LogMel,
        scratch: &mut Mn04Scratch,
        out: &mut Mn04Output,
    ) -> Result<(), EmbedError> {
        self.prepare(mel, scratch, out)?;
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            unsafe { self.run_avx2_fma(&mel.data, mel.frames, scratch, out) };
            return Ok(());
        }
        self.run::<MR, false>(&mel.data, mel.frames, scratch, out, None);
        Ok(())
    }

    /// Like [`Mn04::forward`], also returning a copy of each of the 17 stage outputs (stem, 15
    /// blocks, final 1x1 conv), for checking against a reference. Allocates; for tests and
    /// diagnostics. Runs the portable kernels (no FMA), which agree with the fast path to rounding.
    ///
    /// # Errors
    /// As [`Mn04::forward_into`].
    pub fn forward_traced(
        &self,
        mel: &LogMel,
        scratch: &mut Mn04Scratch,
    ) -> Result<(Mn04Output, Vec<StageOutput>), EmbedError> {
        let mut out = Mn04Output::default();
        self.prepare(mel, scratch, &mut out)?;
        let mut stages = Vec::with_capacity(BLOCKS.len() + 2);
        self.run::<MR, false>(&mel.data, mel.frames, scratch, &mut out, Some(&mut stages));
        Ok((out, stages))
    }

    /// Checks the input, sizes the scratch and the outputs.
    fn prepare(
        &self,
        mel: &LogMel,
        scratch: &mut Mn04Scratch,
        out: &mut Mn04Output,
    ) -> Result<(), EmbedError> {
        let bad = |why: String| Err(EmbedError::InvalidInput(why));
        if mel.bands != MN04_MEL_BANDS {
            return bad(format!(
                "mn04 needs {MN04_MEL_BANDS} mel bands, got {}",
                mel.bands
            ));
        }
        if mel.frames == 0 || mel.frames > MAX_FRAMES {
            return bad(format!(
                "mn04 takes 1..={MAX_FRAMES} frames, got {}",
                mel.frames
            ));
        }
        if mel.data.len() != mel.frames * mel.bands {
            return bad(format!(
                "{} values for {} frames",
                mel.data.len(),
                mel.frames
            ));
        }
        scratch.ensure(mel.frames);
        out.features.resize(MN04_FEATURES, 0.0);
        out.hidden.resize(MN04_HIDDEN, 0.0);
        out.logits.resize(NUM_LABELS, 0.0);
        out.scores.resize(NUM_LABELS, 0.0);
        Ok(())
    }

    /// [`Mn04::run`] compiled for AVX2 + FMA.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2_fma(
        &self,
        mel: &[f32],
        frames: usize,
        s: &mut Mn04Scratch,
        out: &mut Mn04Output,
    ) {
        self.run::<MR_WIDE, true>(mel, frames, s, out, None);
    }

    /// The forward pass; `MR_` and `FMA` select the GEMM micro-kernel and fused multiply-adds.
    #[inline(always)]
    fn run<const MR_: usize, const FMA: bool>(
        &self,
        mel: &[f32],
        frames: usize,
        s: &mut Mn04Scratch,
        out: &mut Mn04Output,
        mut stages: Option<&mut Vec<StageOutput>>,
    ) {
        let Mn04Scratch {
            a,
            b,
            c,
            packed,
            pooled,
            squeezed,
            gate,
            map,
            map_dims,
            ..
        } = s;
        let stem = &self.stem;
        let (mut h, mut w) = conv::conv_single_channel::<3, FMA>(
            mel,
            (frames, MN04_MEL_BANDS),
            &stem.weights,
            &stem.bias,
            stem.spec.stride,
            Act::Hardswish,
            a,
        );
        trace(&mut stages, a, (h, w, stem.bias.len()));
        for blk in &self.blocks {
            let (spec, rows_in) = (&blk.spec, h * w);
            let dw_in: &[f32] = match &blk.expand {
                Some(e) => {
                    kernels::pack_rows::<MR_>(a, rows_in, e.cin, packed);
                    let epi = Epilogue::Store(act(spec.act));
                    kernels::pointwise::<MR_, FMA>(
                        packed, rows_in, e.cin, &e.panels, &e.bias, epi, b,
                    );
                    b
                }
                None => a,
            };
            let dims = (h, w, spec.expanded);
            let (dw, dw_act) = (&blk.dw, act(spec.act));
            (h, w) = match spec.kernel {
                3 => conv::depthwise::<3, FMA>(
                    dw_in,
                    dims,
                    &dw.weights,
                    &dw.bias,
                    spec.stride,
                    dw_act,
                    c,
                ),
                _ => conv::depthwise::<5, FMA>(
                    dw_in,
                    dims,
                    &dw.weights,
                    &dw.bias,
                    spec.stride,
                    dw_act,
                    c,
                ),
            };
            if let Some((fc1, fc2)) = &blk.se {
                let (fc1, fc2) = (
                    (&fc1.weights[..], &fc1.bias[..]),
                    (&fc2.weights[..], &fc2.bias[..]),
                );
                conv::squeeze_excite(c, h * w, fc1, fc2, pooled, squeezed, gate);
            }
            kernels::pack_rows::<MR_>(c, h * w, spec.expanded, packed);
            let epi = if spec.residual() {
                Epilogue::AddTo
            } else {
                Epilogue::Store(Act::None)
            };
            let p = &blk.project;
            kernels::pointwise::<MR_, FMA>(packed, h * w, p.cin, &p.panels, &p.bias, epi, a);
            trace(&mut stages, a, (h, w, spec.cout));
        }
        let last = &self.last;
        kernels::pack_rows::<MR_>(a, h * w, last.cin, packed);
        let epi = Epilogue::Store(Act::Hardswish);
        kernels::pointwise::<MR_, FMA>(packed, h * w, last.cin, &last.panels, &last.bias, epi, map);
        *map_dims = (h, w);
        trace(&mut stages, map, (h, w, MN04_FEATURES));
        kernels::mean_pool(&map[..h * w * MN04_FEATURES], h * w, &mut out.features);
        kernels::dense(
            &out.features,
            &self.hidden.weights,
            &self.hidden.bias,
            &mut out.hidden,
        );
        hardswish(&mut out.hidden);
        kernels::dense(
            &out.hidden,
            &self.logits.weights,
            &self.logits.bias,
            &mut out.logits,
        );
        for (s, &l) in out.scores.iter_mut().zip(&out.logits) {
            *s = 1.0 / (1.0 + (-l).exp());
        }
    }

    /// Time step of the [`FeatureMap`] that covers input frame `frame` (10 ms frames).
    pub fn step_of_frame(frame: usize) -> usize {
        frame / FRAMES_PER_STEP
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::efficientat::{encode, Encoding};

    fn tiny() -> Mn04 {
        let bytes = encode(&format::tests::tiny_layers(), Encoding::F32).unwrap();
        Mn04::from_bytes(&bytes).expect("valid model")
    }

    fn mel(frames: usize) -> LogMel {
        LogMel {
            bands: MN04_MEL_BANDS,
            frames,
            data: (0..frames * MN04_MEL_BANDS)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
                .collect(),
        }
    }

    #[test]
    fn any_length_runs_and_the_map_pools_to_the_features() {
        let model = tiny();
        let mut s = model.new_scratch();
        for frames in [1, 2, 31, 33, 100, 64] {
            let out = model.forward(&mel(frames), &mut s).unwrap();
            assert!(
                out.features
                    .iter()
                    .chain(&out.logits)
                    .all(|v| v.is_finite()),
                "{frames}"
            );
            assert!(out.scores.iter().all(|v| (0.0..=1.0).contains(v)));
            let map = s.feature_map();
            assert_eq!((map.steps, map.bands), (frames.div_ceil(32), 4), "{frames}");
            let mut pooled = vec![0.0; MN04_FEATURES];
            map.pool_steps(0..usize::MAX, &mut pooled);
            for (p, f) in pooled.iter().zip(&out.features) {
                assert!((p - f).abs() <= 1e-5 * (1.0 + f.abs()));
            }
        }
        // The same input after other lengths: the same output (no state leaks between passes).
        let again = model.forward(&mel(31), &mut s).unwrap();
        assert_eq!(
            again,
            model.forward(&mel(31), &mut model.new_scratch()).unwrap()
        );
    }

    #[test]
    fn portable_path_agrees_with_the_dispatched_one() {
        let model = tiny();
        let input = mel(77);
        let mut s = model.new_scratch();
        let fast = model.forward(&input, &mut s).unwrap();
        let mut portable = fast.clone();
        model.run::<MR, false>(&input.data, input.frames, &mut s, &mut portable, None);
        for (a, b) in fast.logits.iter().zip(&portable.logits) {
            assert!((a - b).abs() <= 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let model = tiny();
        let mut s = model.new_scratch();
        let mut m = mel(10);
        m.bands = 64;
        assert!(matches!(
            model.forward(&m, &mut s),
            Err(EmbedError::InvalidInput(_))
        ));
        assert!(model.forward(&mel(0), &mut s).is_err());
        assert!(model.forward(&mel(MAX_FRAMES + 1), &mut s).is_err());
        let mut m = mel(10);
        m.data.pop();
        assert!(model.forward(&m, &mut s).is_err());
    }

    #[test]
    fn scratch_size_is_about_6_kb_per_frame() {
        let mut s = Mn04Scratch::default();
        s.ensure(500);
        let floats: usize = [
            &s.a,
            &s.b,
            &s.c,
            &s.packed,
            &s.map,
            &s.pooled,
            &s.squeezed,
            &s.gate,
        ]
        .iter()
        .map(|v| v.len())
        .sum();
        let per_frame = floats * 4 / 500;
        assert!(
            (5_500..=6_500).contains(&per_frame),
            "{per_frame} bytes per frame"
        );
        // A shorter input after a longer one reuses the buffers.
        let before = s.b.as_ptr();
        s.ensure(100);
        assert_eq!(s.b.as_ptr(), before);
    }

    #[test]
    fn model_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Mn04>();
        check::<Mn04Scratch>();
    }
}
