//! Learning one taught class: the window embeddings of its examples -> one new head row, fitted
//! against the frozen shipped head, with its own calibrated thresholds ([`Learned`]).
//!
//! With the shipped logits `z(x)` fixed, a new row `u(x) = w·x + b` joins the softmax, so its
//! probability is `p_new(x) = σ(u(x) − LSE(z(x)))`: fitting it is a weighted logistic regression
//! whose negatives need only their clip embeddings (their shipped logits are recomputed from the
//! head once, in [`Learner::new`]). Positives are the examples, each as the whole clip and as a few
//! contiguous runs of its windows (what the live listener hears after one, two, three… windows);
//! negatives are the index's teaching exemplars (clips of every "other" group and trained class),
//! the other taught classes' examples and any background the user recorded.
//!
//! The row sees either the clip embedding itself ([`Features::Embedding`]) or the shipped logits
//! ([`Features::Logits`]: the new row is then a combination of the shipped rows); both give a
//! plain 768-value row. The threshold is calibrated out of fold: the stored negatives are split
//! into folds by head output (whole "other" groups at a time), each fold is scored by a row fitted
//! without it, and the threshold lets at most [`LearnOptions::false_accept`] of those scores
//! through. Deterministic: the same inputs give the same row.

use crate::embed::EMBEDDING_DIM;
use crate::matcher::{calibrate_threshold, clip_embedding, dot, Head};

/// Length of a clip embedding (mean ‖ max of the window embeddings).
pub const CLIP_DIM: usize = 2 * EMBEDDING_DIM;

/// What the new row is a linear function of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Features {
    /// The clip embedding (standardised by the negatives' mean and spread); needs the negatives'
    /// clip embeddings, which an index does not store.
    Embedding,
    /// The shipped head's logits (standardised likewise): a combination of the shipped rows.
    Logits,
    /// The shipped logits and the clip embedding's [`sketch`]: a combination of the shipped rows
    /// and of [`SKETCH_DIM`] fixed random directions, so that a sound unlike every shipped output
    /// (which all look alike to the logits) can still be told from the taught one.
    LogitsSketch,
}

/// Length of a clip embedding's [`sketch`].
pub const SKETCH_DIM: usize = 32;

/// The fixed random directions of [`sketch`]: `SKETCH_DIM x CLIP_DIM`, entries ±1/√CLIP_DIM from
/// a seeded generator (the same on every platform; stored nowhere).
fn sketch_matrix() -> &'static [f32] {
    static M: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let mut state = 0x5013_7eac_4000_0001u64;
        let v = 1.0 / (CLIP_DIM as f32).sqrt();
        (0..SKETCH_DIM * CLIP_DIM)
            .map(|_| {
                // splitmix64
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                if z & 1 == 0 {
                    v
                } else {
                    -v
                }
            })
            .collect()
    })
}

/// A clip embedding projected on [`SKETCH_DIM`] fixed random directions (what the index keeps of
/// its teaching negatives besides their logits). Empty when `x` is not [`CLIP_DIM`] long.
pub fn sketch(x: &[f32]) -> Vec<f32> {
    if x.len() != CLIP_DIM {
        return Vec::new();
    }
    sketch_matrix()
        .chunks_exact(CLIP_DIM)
        .map(|r| dot(r, x))
        .collect()
}

/// Settings of the learning step. [`LearnOptions::default`] is what the product uses (chosen by
/// `examples/teach_eval.rs` on half of the classes, see `docs/eval.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct LearnOptions {
    /// What the row sees.
    pub features: Features,
    /// L2 penalty on the standardised weights.
    pub l2: f32,
    /// Full-batch Adam steps per fit.
    pub steps: usize,
    /// Adam learning rate.
    pub learning_rate: f32,
    /// Share of the total sample weight on the positives (the rest on the negatives).
    pub positive_weight: f32,
    /// Window runs per example used as extra positives, besides the whole clip.
    pub subsets: usize,
    /// Share of out-of-fold negatives allowed to reach the class's threshold.
    pub false_accept: f32,
    /// Share of out-of-fold negatives allowed to reach the hedged-guess threshold.
    pub maybe_false_accept: f32,
    /// Lowest threshold.
    pub threshold_floor: f32,
    /// Folds (by head output) of the out-of-fold calibration.
    pub folds: usize,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            features: Features::LogitsSketch,
            l2: 0.01,
            steps: 150,
            learning_rate: 0.05,
            positive_weight: 0.3,
            subsets: 6,
            false_accept: 0.02,
            maybe_false_accept: 0.1,
            threshold_floor: 0.3,
            folds: 4,
        }
    }
}

/// A learned class: one head row over the clip embedding and its thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    /// [`CLIP_DIM`] weights.
    pub weights: Vec<f32>,
    /// Bias.
    pub bias: f32,
    /// Score the class must reach to be the verdict.
    pub threshold: f32,
    /// Score at which it is offered as a hedged guess beside `unknown` (at most `threshold`).
    pub maybe_threshold: f32,
}

/// What a learning step did, for the page to show ("ready: 3 examples, 41 views").
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnReport {
    /// Positive samples: whole clips and window runs.
    pub positives: usize,
    /// Negative samples: stored exemplars and the user's other examples and background.
    pub negatives: usize,
    /// The calibrated threshold.
    pub threshold: f32,
    /// Examples whose whole clip reaches the threshold after learning (in sample).
    pub examples_accepted: usize,
}

/// The stored negatives of an index (its `TNEG` section): clips the head did not see while it
/// was trained (out-of-fold), each with the head output it is an example of (an "other" group or a
/// class, from which the calibration folds are made) and the shipped head's logits for it (what
/// an unseen clip of that kind looks like to the head). Optionally their clip embeddings (only
/// for [`Features::Embedding`], which the product does not use).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Negatives {
    /// Head output index per negative.
    pub outputs: Vec<u16>,
    /// Row-major `outputs.len() x K` logits (K = the head's outputs).
    pub logits: Vec<f32>,
    /// Row-major `outputs.len() x SKETCH_DIM` [`sketch`]es of their clip embeddings.
    pub sketches: Vec<f32>,
    /// Row-major `outputs.len() x CLIP_DIM` clip embeddings, or empty.
    pub x: Vec<f32>,
}

/// What a class is learned against, besides the stored negatives.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// Head outputs switched off at match time (shipped rows of classes a taught class replaces).
    pub masked: &'a [usize],
    /// Head outputs whose probability adds to the new row's (a taught class that strengthens a
    /// shipped one): the class's score is their sum.
    pub strengthens: &'a [usize],
    /// Extra negatives, one group per entry (another taught class, the room's background), each
    /// a list of examples given by their window embeddings.
    pub negative_groups: Vec<Vec<&'a [Vec<f32>]>>,
}

/// Fits new rows against one shipped head. Construction precomputes the negatives' shipped logits
/// and the standardisation; [`Learner::learn`] is then cheap.
#[derive(Debug, Clone)]
pub struct Learner {
    head: Head,
    options: LearnOptions,
    outputs: Vec<u16>,
    /// Stored negatives' raw features (row-major, `feature_dim`).
    raw: Vec<f32>,
    /// Their shipped logits (row-major, K).
    z: Vec<f32>,
    /// Mean and 1 / spread of the features.
    mean: Vec<f32>,
    inv_std: Vec<f32>,
}

/// A sample of one fit: standardised features, its shipped logits, label and weight.
struct Samples {
    dim: usize,
    k: usize,
    feats: Vec<f32>,
    z: Vec<f32>,
    y: Vec<f32>,
    w: Vec<f32>,
}

impl Samples {
    fn len(&self) -> usize {
        self.y.len()
    }
}

impl Learner {
    /// A learner for `head` (which must take [`CLIP_DIM`] inputs) with these negatives. `None` when
    /// the shapes do not fit or there are no negatives.
    pub fn new(head: &Head, negatives: &Negatives, options: LearnOptions) -> Option<Learner> {
        let k = head.outputs.len();
        let n = negatives.outputs.len();
        let with_x = negatives.x.len() == n * CLIP_DIM;
        if head.input_dim as usize != CLIP_DIM
            || head.logits(&vec![0.0; CLIP_DIM]).len() != k
            || n == 0
            || negatives.logits.len() != n * k
            || negatives.logits.iter().any(|v| !v.is_finite())
            || negatives.outputs.iter().any(|&o| usize::from(o) >= k)
            || (options.features == Features::Embedding && !with_x)
        {
            return None;
        }
        let z = negatives.logits.clone();
        let with_sketch = negatives.sketches.len() == n * SKETCH_DIM;
        if options.features == Features::LogitsSketch && !with_sketch {
            return None;
        }
        let raw: Vec<f32> = match options.features {
            Features::Embedding => negatives.x.clone(),
            Features::Logits => z.clone(),
            Features::LogitsSketch => z
                .chunks_exact(k)
                .zip(negatives.sketches.chunks_exact(SKETCH_DIM))
                .flat_map(|(a, b)| a.iter().chain(b).copied())
                .collect(),
        };
        let mut learner = Learner {
            head: head.clone(),
            options,
            outputs: negatives.outputs.clone(),
            raw,
            z,
            mean: Vec::new(),
            inv_std: Vec::new(),
        };
        let dim = learner.feature_dim();
        let rows: Vec<&[f32]> = (0..n).map(|i| learner.raw_features(i)).collect();
        let mut mean = vec![0.0f64; dim];
        let mut var = vec![0.0f64; dim];
        for r in &rows {
            mean.iter_mut()
                .zip(*r)
                .for_each(|(m, &v)| *m += f64::from(v));
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        for r in &rows {
            var.iter_mut()
                .zip(*r)
                .zip(&mean)
                .for_each(|((s, &v), m)| *s += (f64::from(v) - m).powi(2));
        }
        learner.inv_std = var
            .iter()
            .map(|&s| (1.0 / ((s / n as f64).sqrt() + 1e-3)) as f32)
            .collect();
        learner.mean = mean.iter().map(|&m| m as f32).collect();
        Some(learner)
    }

    /// The options it learns with.
    pub fn options(&self) -> &LearnOptions {
        &self.options
    }

    /// The shipped head it learns against.
    pub fn head(&self) -> &Head {
        &self.head
    }

    fn feature_dim(&self) -> usize {
        match self.options.features {
            Features::Embedding => CLIP_DIM,
            Features::Logits => self.head.outputs.len(),
            Features::LogitsSketch => self.head.outputs.len() + SKETCH_DIM,
        }
    }

    fn raw_features(&self, i: usize) -> &[f32] {
        let d = self.feature_dim();
        &self.raw[i * d..(i + 1) * d]
    }

    fn standardise(&self, raw: &[f32], out: &mut Vec<f32>) {
        out.extend(
            raw.iter()
                .zip(&self.mean)
                .zip(&self.inv_std)
                .map(|((&v, &m), &s)| (v - m) * s),
        );
    }

    /// Adds clip embeddings (with label `y`, sharing `weight` equally) to `s`.
    fn push_clips(&self, s: &mut Samples, clips: &[Vec<f32>], y: f32, weight: f32) {
        for x in clips {
            let z = self.head.logits(x);
            match self.options.features {
                Features::Embedding => self.standardise(x, &mut s.feats),
                Features::Logits => self.standardise(&z, &mut s.feats),
                Features::LogitsSketch => {
                    let mut f = z.clone();
                    f.extend(sketch(x));
                    self.standardise(&f, &mut s.feats)
                }
            }
            s.z.extend_from_slice(&z);
            s.y.push(y);
            s.w.push(weight / clips.len().max(1) as f32);
        }
    }

    /// Learns the class whose examples are `positives` (each given by its window embeddings) in
    /// `context`. `None` when no example has a window.
    pub fn learn(
        &self,
        positives: &[&[Vec<f32>]],
        context: &Context,
    ) -> Option<(Learned, LearnReport)> {
        let opts = &self.options;
        let examples: Vec<&[Vec<f32>]> = positives
            .iter()
            .copied()
            .filter(|w| !w.is_empty())
            .collect();
        if examples.is_empty() {
            return None;
        }
        let (dim, k) = (self.feature_dim(), self.head.outputs.len());
        let mut base = Samples {
            dim,
            k,
            feats: Vec::new(),
            z: Vec::new(),
            y: Vec::new(),
            w: Vec::new(),
        };
        let pos_weight = opts.positive_weight.clamp(0.01, 0.99);
        for e in &examples {
            let views = window_views(e, opts.subsets);
            self.push_clips(&mut base, &views, 1.0, pos_weight / examples.len() as f32);
        }
        let positives_n = base.len();
        // Negatives: every stored head output is one group, and so is each extra group.
        let groups = self.group_count() + context.negative_groups.len();
        let group_weight = (1.0 - pos_weight) / groups.max(1) as f32;
        for group in &context.negative_groups {
            let views: Vec<Vec<f32>> = group
                .iter()
                .flat_map(|w| window_views(w, opts.subsets / 2))
                .collect();
            self.push_clips(&mut base, &views, 0.0, group_weight);
        }
        let per_output = self.per_output_counts();
        let stored_weight =
            |i: usize| group_weight / f32::from(per_output[usize::from(self.outputs[i])]);

        // Out-of-fold scores of the stored negatives, fold = head output mod folds.
        // Clips of the shipped class this one strengthens or replaces are not negatives: they
        // are the same class.
        let usable: Vec<usize> = (0..self.outputs.len())
            .filter(|&i| {
                let o = usize::from(self.outputs[i]);
                !context.strengthens.contains(&o) && !context.masked.contains(&o)
            })
            .collect();
        let folds = opts.folds.max(2);
        let mut oof = Vec::with_capacity(usable.len());
        for f in 0..folds {
            let mut s = self.clone_samples(&base);
            let held: Vec<usize> = usable
                .iter()
                .copied()
                .filter(|&i| usize::from(self.outputs[i]) % folds == f)
                .collect();
            if held.is_empty() {
                continue;
            }
            for i in usable
                .iter()
                .copied()
                .filter(|&i| usize::from(self.outputs[i]) % folds != f)
            {
                self.push_stored(&mut s, i, stored_weight(i));
            }
            let (a, b) = fit(&s, context.masked, opts);
            for i in held {
                let zi = &self.z[i * k..(i + 1) * k];
                let mut f = Vec::with_capacity(dim);
                self.standardise(self.raw_features(i), &mut f);
                let u = dot(&a, &f) + b;
                oof.push(acceptance(u, zi, context.masked, context.strengthens));
            }
        }
        let mut all = self.clone_samples(&base);
        for &i in &usable {
            self.push_stored(&mut all, i, stored_weight(i));
        }
        let (a, b) = fit(&all, context.masked, opts);
        let threshold = calibrate_threshold(oof.clone(), opts.false_accept, opts.threshold_floor);
        let maybe_threshold =
            calibrate_threshold(oof, opts.maybe_false_accept, opts.threshold_floor.min(0.2))
                .min(threshold);
        let (weights, bias) = self.unstandardise(&a, b);
        let learned = Learned {
            weights,
            bias,
            threshold,
            maybe_threshold,
        };
        let examples_accepted = examples
            .iter()
            .filter(|w| {
                let x = clip_embedding(
                    &w.iter().map(Vec::as_slice).collect::<Vec<_>>(),
                    EMBEDDING_DIM,
                );
                let z = self.head.logits(&x);
                let u = dot(&learned.weights, &x) + learned.bias;
                acceptance(u, &z, context.masked, context.strengthens) >= threshold
            })
            .count();
        let report = LearnReport {
            positives: positives_n,
            negatives: all.len() - positives_n,
            threshold,
            examples_accepted,
        };
        Some((learned, report))
    }

    fn group_count(&self) -> usize {
        self.per_output_counts().iter().filter(|&&n| n > 0).count()
    }

    fn per_output_counts(&self) -> Vec<u16> {
        let mut counts = vec![0u16; self.head.outputs.len()];
        for &o in &self.outputs {
            counts[usize::from(o)] = counts[usize::from(o)].saturating_add(1);
        }
        counts
    }

    fn clone_samples(&self, s: &Samples) -> Samples {
        Samples {
            dim: s.dim,
            k: s.k,
            feats: s.feats.clone(),
            z: s.z.clone(),
            y: s.y.clone(),
            w: s.w.clone(),
        }
    }

    fn push_stored(&self, s: &mut Samples, i: usize, weight: f32) {
        let k = self.head.outputs.len();
        self.standardise(self.raw_features(i), &mut s.feats);
        s.z.extend_from_slice(&self.z[i * k..(i + 1) * k]);
        s.y.push(0.0);
        s.w.push(weight);
    }

    /// The standardised row `a`, `b` as a row over the clip embedding.
    fn unstandardise(&self, a: &[f32], b: f32) -> (Vec<f32>, f32) {
        let scaled: Vec<f32> = a.iter().zip(&self.inv_std).map(|(v, s)| v * s).collect();
        let shift: f32 = scaled.iter().zip(&self.mean).map(|(v, m)| v * m).sum();
        match self.options.features {
            Features::Embedding => (scaled, b - shift),
            Features::Logits | Features::LogitsSketch => {
                // u = Σ_j c_j (W_j·x + b_j) + Σ_i c'_i (R_i·x) + b − shift, with (c, c') = scaled.
                let k = self.head.outputs.len();
                let mut w = vec![0.0f32; CLIP_DIM];
                let mut bias = b - shift;
                for ((row, &hb), &c) in self
                    .head
                    .weights
                    .chunks_exact(CLIP_DIM)
                    .zip(&self.head.bias)
                    .zip(&scaled[..k])
                {
                    w.iter_mut().zip(row).for_each(|(wv, &r)| *wv += c * r);
                    bias += c * hb;
                }
                for (r, &c) in sketch_matrix().chunks_exact(CLIP_DIM).zip(&scaled[k..]) {
                    w.iter_mut().zip(r).for_each(|(wv, &rv)| *wv += c * rv);
                }
                (w, bias)
            }
        }
    }
}

/// The whole clip and up to `subsets` contiguous runs of its windows (1, 2, 3, 4 and 6 windows,
/// spread over the clip), each as a clip embedding.
pub fn window_views(windows: &[Vec<f32>], subsets: usize) -> Vec<Vec<f32>> {
    const LENGTHS: [usize; 5] = [1, 2, 3, 4, 6];
    let refs: Vec<&[f32]> = windows.iter().map(Vec::as_slice).collect();
    let n = refs.len();
    let mut out = vec![clip_embedding(&refs, EMBEDDING_DIM)];
    let mut seen = vec![(0usize, n)];
    for j in 0..subsets * 2 {
        if out.len() > subsets {
            break;
        }
        let len = LENGTHS[j % LENGTHS.len()];
        if len >= n {
            continue;
        }
        let slots = n - len + 1;
        let start = (j / LENGTHS.len() * 5 + j * 3) % slots;
        if seen.contains(&(start, len)) {
            continue;
        }
        seen.push((start, len));
        out.push(clip_embedding(&refs[start..start + len], EMBEDDING_DIM));
    }
    out
}

/// `log Σ exp` over the logits not in `masked`, with the new row's logit `u` added when given.
fn log_sum_exp(z: &[f32], masked: &[usize], u: Option<f32>) -> f32 {
    let active = z
        .iter()
        .enumerate()
        .filter(|(j, _)| !masked.contains(j))
        .map(|(_, &v)| v);
    let max = active.clone().chain(u).fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return max;
    }
    let sum: f32 = active.chain(u).map(|v| (v - max).exp()).sum();
    max + sum.ln()
}

/// The class's score for a clip: the new row's probability in the joint softmax, plus the shipped
/// outputs it strengthens.
pub fn acceptance(u: f32, z: &[f32], masked: &[usize], strengthens: &[usize]) -> f32 {
    let total = log_sum_exp(z, masked, Some(u));
    let shipped: f32 = strengthens
        .iter()
        .filter(|j| !masked.contains(j))
        .filter_map(|&j| z.get(j))
        .map(|&v| (v - total).exp())
        .sum();
    (u - total).exp() + shipped
}

fn sigmoid(v: f32) -> f32 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

/// Minimises the weighted logistic loss of `σ(a·f + b − LSE(z))` plus `l2/2 |a|²` by full-batch
/// Adam from zero. Returns `(a, b)`.
fn fit(s: &Samples, masked: &[usize], opts: &LearnOptions) -> (Vec<f32>, f32) {
    let (n, dim) = (s.len(), s.dim);
    let offsets: Vec<f32> = (0..n)
        .map(|i| -log_sum_exp(&s.z[i * s.k..(i + 1) * s.k], masked, None))
        .collect();
    let total: f32 = s.w.iter().sum::<f32>().max(1e-12);
    let weights: Vec<f32> = s.w.iter().map(|w| w / total).collect();
    let mut a = vec![0.0f32; dim];
    let mut b = 0.0f32;
    let (mut ma, mut va) = (vec![0.0f32; dim], vec![0.0f32; dim]);
    let (mut mb, mut vb) = (0.0f32, 0.0f32);
    let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let mut grad = vec![0.0f32; dim];
    for step in 1..=opts.steps {
        grad.iter_mut().zip(&a).for_each(|(g, &v)| *g = opts.l2 * v);
        let mut gb = 0.0f32;
        for (i, f) in s.feats.chunks_exact(dim).enumerate() {
            let u = dot(&a, f) + b + offsets[i];
            let e = weights[i] * (sigmoid(u) - s.y[i]);
            gb += e;
            grad.iter_mut().zip(f).for_each(|(g, &v)| *g += e * v);
        }
        let lr = opts.learning_rate * (1.0 - beta2.powi(step as i32)).sqrt()
            / (1.0 - beta1.powi(step as i32));
        for j in 0..dim {
            ma[j] = beta1 * ma[j] + (1.0 - beta1) * grad[j];
            va[j] = beta2 * va[j] + (1.0 - beta2) * grad[j] * grad[j];
            a[j] -= lr * ma[j] / (va[j].sqrt() + eps);
        }
        mb = beta1 * mb + (1.0 - beta1) * gb;
        vb = beta2 * vb + (1.0 - beta2) * gb * gb;
        b -= lr * mb / (vb.sqrt() + eps);
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_views_are_distinct_runs_and_start_with_the_whole_clip() {
        let windows: Vec<Vec<f32>> = (0..9).map(|i| vec![i as f32; EMBEDDING_DIM]).collect();
        let v = window_views(&windows, 6);
        assert_eq!(v.len(), 7);
        assert_eq!(v[0][0], 4.0, "mean of 0..9");
        assert_eq!(v[0][EMBEDDING_DIM], 8.0, "max of 0..9");
        for (i, a) in v.iter().enumerate() {
            for b in &v[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            window_views(&windows[..1], 6).len(),
            1,
            "one window: one view"
        );
    }

    #[test]
    fn acceptance_is_the_joint_softmax_share() {
        let z = [1.0f32, 2.0, 0.5];
        let p = acceptance(2.0, &z, &[], &[]);
        let e: f32 = z.iter().map(|v| v.exp()).sum::<f32>() + 2.0f32.exp();
        assert!((p - 2.0f32.exp() / e).abs() < 1e-6);
        let with = acceptance(2.0, &z, &[], &[1]);
        assert!((with - (2.0f32.exp() * 2.0) / e).abs() < 1e-6);
        let masked = acceptance(2.0, &z, &[1], &[1]);
        let e2 = e - 2.0f32.exp();
        assert!(
            (masked - 2.0f32.exp() / e2).abs() < 1e-6,
            "a masked output adds nothing"
        );
    }
}
