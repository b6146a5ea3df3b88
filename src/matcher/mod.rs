//! Stage 4, matcher: window embeddings -> clip embedding -> class scores -> verdict and top-k.
//!
//! ```text
//! &[f32] @16 kHz --analyze::Analyzer--> Vec<PatchEmbedding> --clip_embedding--> [mean ‖ max] (768)
//!        --Head (softmax over trained classes + "other")--+
//!        --ZeroShot (mn04 AudioSet scores)----------------+--> MatchResult { verdict, matches (top-k), fingerprint }
//!        --fingerprint::FingerprintTable::query-----------+
//! ```
//!
//! A class is only ever offered when the index covers it ([`Coverage::Trained`],
//! [`Coverage::TrainedFew`] or [`Coverage::ZeroShot`]); everything else ends as `unknown`.

mod analyze;
mod decide;
mod live;
mod taught;

pub use analyze::{Analysis, Analyzer, HOP_SAMPLES, WINDOW_SAMPLES};
pub use decide::{Matcher, MatcherOptions};
pub use live::{LiveSession, LiveUpdate, EVIDENCE_WINDOWS};
pub use taught::{TaughtMode, TaughtRow, TaughtRows, FIRST_NEW_CLASS_ID};

/// The analysis hash an index must carry (`Index::feature_hash`) to be matched by this build: the
/// window analysis' hash ([`window_analysis_hash`]) with the fingerprint settings' key folded in, so
/// an index whose embeddings *or* reference hashes were made with other settings (or another model)
/// is refused at load (`Index::check_features`) instead of silently never matching.
pub fn analysis_hash() -> u64 {
    fold_fingerprint_key(
        window_analysis_hash(),
        crate::fingerprint::FingerprintConfig::default().hash_key(),
    )
}

/// A hash of everything that decides a window's embedding: the model, its front end, the window
/// and hop, and which model output is the embedding. Bump `v1` when the computation changes
/// without a constant changing.
pub fn window_analysis_hash() -> u64 {
    use crate::features::{EFFICIENTAT_BANDS, EFFICIENTAT_HOP, EFFICIENTAT_RATE};
    let described = format!(
        "efficientat-mn04 v1; 16 kHz x2 -> {EFFICIENTAT_RATE} Hz, {EFFICIENTAT_BANDS} bands, hop {EFFICIENTAT_HOP}; \
         window {WINDOW_SAMPLES} hop {HOP_SAMPLES}, loudness-normalised; embedding: pooled features {}; labels {}",
        crate::embed::EMBEDDING_DIM,
        crate::embed::NUM_AUDIOSET,
    );
    // FNV-1a: stable across runs, platforms and Rust versions.
    let mut h = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut h, described.as_bytes());
    std::hash::Hasher::finish(&h)
}

/// Folds a fingerprint config key into a feature hash; distinct keys give distinct results.
fn fold_fingerprint_key(feature_hash: u64, fingerprint_key: u32) -> u64 {
    // Multiplying by an odd constant is a bijection on u64, so the fold is injective in the key.
    feature_hash ^ u64::from(fingerprint_key).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// What the index can do for a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The head was trained on recordings of this class: many of them (at least
    /// [`FEW_RECORDINGS`]).
    Trained,
    /// The head was trained on a few recordings of this class (fewer than [`FEW_RECORDINGS`]):
    /// it is answered like a trained class, but may not generalise to other rooms and devices.
    TrainedFew,
    /// Only a zero-shot prior from the model's AudioSet scores.
    ZeroShot,
    /// Not recognisable with this index: never offered as an answer.
    None,
}

/// A class learned from fewer training recordings than this is [`Coverage::TrainedFew`].
pub const FEW_RECORDINGS: u32 = 8;

impl Coverage {
    /// Stable lowercase name: `trained`, `trained_few`, `zero_shot`, `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Trained => "trained",
            Coverage::TrainedFew => "trained_few",
            Coverage::ZeroShot => "zero_shot",
            Coverage::None => "none",
        }
    }

    /// Whether the head has an output for the class (learned from many or a few recordings).
    pub fn is_trained(self) -> bool {
        matches!(self, Coverage::Trained | Coverage::TrainedFew)
    }

    /// The coverage of a class the head was trained on, from its training recordings.
    pub fn trained_from(recordings: u32) -> Coverage {
        if recordings >= FEW_RECORDINGS {
            Coverage::Trained
        } else {
            Coverage::TrainedFew
        }
    }
}

/// A linear classifier over the clip embedding: `logits = weights · x + bias`,
/// softmax over outputs; output `k` stands for class id `outputs[k]`, where 0 = "other" (one
/// output per other group, so 0 may repeat; see `build::train`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Head {
    /// Length of the clip embedding the head expects.
    pub input_dim: u32,
    /// Class id per output row; 0 stands for "none of the classes".
    pub outputs: Vec<u16>,
    /// Row-major `outputs.len() x input_dim`.
    pub weights: Vec<f32>,
    /// One per output.
    pub bias: Vec<f32>,
    /// Softmax probability a class must reach to be answered instead of `unknown`.
    pub unknown_threshold: f32,
    /// Softmax probability at which a class the head is not sure enough of is still offered as
    /// a hedged guess beside `unknown` ([`MatchResult::maybe`]); at most `unknown_threshold`.
    pub maybe_threshold: f32,
}

impl Head {
    /// Logits `W·x + b`, one per output. Returns an empty vector when `x` has the wrong length or
    /// the head is malformed.
    pub fn logits(&self, x: &[f32]) -> Vec<f32> {
        let dim = self.input_dim as usize;
        let n = self.outputs.len();
        if x.len() != dim || self.weights.len() != n * dim || self.bias.len() != n || n == 0 {
            return Vec::new();
        }
        self.weights
            .chunks_exact(dim)
            .zip(&self.bias)
            .map(|(row, b)| row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>() + b)
            .collect()
    }

    /// Softmax probabilities, one per output. Returns an empty vector when `x` has the wrong length
    /// or the head is malformed.
    pub fn probabilities(&self, x: &[f32]) -> Vec<f32> {
        let mut logits = self.logits(x);
        softmax_in_place(&mut logits);
        logits
    }

    /// The share of `probs` (from [`Head::probabilities`]) the head gives to "other": the sum over
    /// its other groups (every output with class id 0); 1 when it has no "other" output or `probs`
    /// does not fit, as then no trained class claims the clip.
    pub fn other_probability(&self, probs: &[f32]) -> f32 {
        if probs.len() != self.outputs.len() || !self.outputs.contains(&0) {
            return 1.0;
        }
        self.outputs
            .iter()
            .zip(probs)
            .filter(|(&c, _)| c == 0)
            .map(|(_, &p)| p)
            .sum()
    }
}

/// The dot product of two equally long vectors (summed in eight lanes, which vectorises).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Numerically stable softmax.
pub fn softmax_in_place(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    if sum > 0.0 && sum.is_finite() {
        v.iter_mut().for_each(|x| *x /= sum);
    }
}

/// The smallest threshold such that at most `max_false_accept` of `negatives` (the best trained-class
/// probability on clips that are none of the classes) reach it. Returns at least `floor`.
pub fn calibrate_threshold(mut negatives: Vec<f32>, max_false_accept: f32, floor: f32) -> f32 {
    if negatives.is_empty() {
        return floor;
    }
    negatives.sort_by(|a, b| b.total_cmp(a));
    let allowed = (max_false_accept * negatives.len() as f32).floor() as usize;
    // Accept strictly above the (allowed)-th highest negative.
    let t = negatives.get(allowed).copied().unwrap_or(0.0);
    (t + 1e-4).max(floor).min(0.999)
}

/// Zero-shot rule: a class scored from the model's AudioSet label scores.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroShotRule {
    /// Class id (1..=76).
    pub class_id: u16,
    /// AudioSet label indices (0..527, mn04's order) whose scores vote for the class.
    pub labels: Vec<u16>,
}

impl ZeroShotRule {
    /// The rule's AudioSet evidence: the highest of its labels' clip scores (see
    /// [`clip_label_scores`]); labels outside `label_scores` count as 0.
    pub fn evidence(&self, label_scores: &[f32]) -> f32 {
        self.labels
            .iter()
            .filter_map(|&l| label_scores.get(l as usize))
            .copied()
            .fold(0.0f32, f32::max)
    }
}

/// The zero-shot prior for classes without recordings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZeroShot {
    /// One rule per zero-shot class.
    pub rules: Vec<ZeroShotRule>,
    /// AudioSet score a rule must reach to be offered.
    pub threshold: f32,
}

/// Reference clip embeddings, for nearest-neighbour evidence and inspection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exemplars {
    /// Embedding length.
    pub dim: u32,
    /// Class id per exemplar.
    pub class_ids: Vec<u16>,
    /// Row-major `class_ids.len() x dim`.
    pub vectors: Vec<f32>,
}

/// The clip embedding: per-dimension mean, then per-dimension max, of the patch embeddings.
///
/// Returns `2 * dim` values; all zeros when there are no patches.
pub fn clip_embedding(patches: &[&[f32]], dim: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; 2 * dim];
    if patches.is_empty() {
        return out;
    }
    let (mean, max) = out.split_at_mut(dim);
    max.iter_mut().for_each(|m| *m = f32::NEG_INFINITY);
    for p in patches {
        for ((s, m), &v) in mean.iter_mut().zip(max.iter_mut()).zip(p.iter()) {
            *s += v;
            *m = m.max(v);
        }
    }
    let n = patches.len() as f32;
    mean.iter_mut().for_each(|s| *s /= n);
    out
}

/// A zero-shot class's score: its AudioSet evidence `label_score`, counted only for the share of
/// probability the trained head leaves to "other" (`p_other`), squared so that zero-shot guesses
/// stay below trained classes the head is unsure about.
pub fn zero_shot_score(label_score: f32, p_other: f32) -> f32 {
    label_score * p_other * p_other
}

/// Per-label clip score from per-patch AudioSet scores: the mean of the two highest patch scores
/// (robust to one spurious patch, still sensitive to short events).
pub fn clip_label_scores(patches: &[&[f32]], labels: usize) -> Vec<f32> {
    (0..labels)
        .map(|l| {
            let (mut a, mut b) = (0.0f32, 0.0f32);
            for p in patches {
                let v = p.get(l).copied().unwrap_or(0.0);
                if v > a {
                    b = a;
                    a = v;
                } else if v > b {
                    b = v;
                }
            }
            if patches.len() > 1 {
                (a + b) / 2.0
            } else {
                a
            }
        })
        .collect()
}

/// One candidate class with its score in 0..=1.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassScore {
    /// Class slug.
    pub class: String,
    /// Score in 0..=1 (head probability for trained classes, AudioSet score for zero-shot ones).
    pub score: f32,
    /// The class was taught on this device (serialised only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub taught: bool,
}

/// An exact identification of an indexed recording.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FingerprintMatch {
    /// Recording id of the indexed recording.
    pub recording: String,
    /// Class slug of that recording.
    pub class: String,
    /// Where in the recording the query starts, in seconds.
    pub offset_seconds: f32,
    /// Confidence 0..=1.
    pub confidence: f32,
}

/// The answer for one clip or one live window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MatchResult {
    /// A class slug, `unknown` or `silence`.
    pub verdict: String,
    /// Confidence in the verdict (0 for silence).
    pub score: f32,
    /// Top candidates, best first (at most `top_k`), only classes the index covers.
    pub matches: Vec<ClassScore>,
    /// Exact recording identification, when the audio is an indexed recording.
    pub fingerprint: Option<FingerprintMatch>,
    /// When the verdict is `unknown` but one trained class stands out (its probability reaches the
    /// head's `maybe_threshold`): that class, offered as a hedged guess ("not sure — maybe a
    /// kettle?"). `None` otherwise.
    pub maybe: Option<ClassScore>,
    /// The verdict is a taught class (learned on this device, or strengthened or replaced by
    /// teaching), so the answer card can say so.
    pub taught: bool,
}

impl MatchResult {
    /// The answer for audio with no sound in it.
    pub fn silence() -> MatchResult {
        MatchResult {
            verdict: SILENCE.into(),
            score: 0.0,
            matches: Vec::new(),
            fingerprint: None,
            maybe: None,
            taught: false,
        }
    }
}

/// The verdict for audio with no sound in it.
pub const SILENCE: &str = "silence";
/// The verdict for a sound that is none of the covered classes (or not confidently one).
pub const UNKNOWN: &str = "unknown";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_hash_changes_with_either_config() {
        let f = window_analysis_hash();
        let k = crate::fingerprint::FingerprintConfig::default().hash_key();
        assert_eq!(analysis_hash(), fold_fingerprint_key(f, k));
        assert_ne!(analysis_hash(), f, "the fingerprint key is folded in");
        assert_ne!(fold_fingerprint_key(f, k ^ 1), analysis_hash());
        assert_ne!(fold_fingerprint_key(f ^ 1, k), analysis_hash());
        let other = crate::fingerprint::FingerprintConfig {
            max_freq_hz: 4000.0,
            ..Default::default()
        };
        assert_ne!(other.hash_key(), k);
    }

    #[test]
    fn clip_embedding_is_mean_then_max() {
        let a = [1.0, -2.0];
        let b = [3.0, 0.0];
        let e = clip_embedding(&[&a, &b], 2);
        assert_eq!(e, vec![2.0, -1.0, 3.0, 0.0]);
        assert_eq!(clip_embedding(&[], 2), vec![0.0; 4]);
    }

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let mut v = vec![1.0, 3.0, 2.0, -1000.0];
        softmax_in_place(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[1] > v[2] && v[2] > v[0] && v[3] >= 0.0);
    }

    #[test]
    fn head_rejects_wrong_dimensions() {
        let head = Head {
            input_dim: 2,
            outputs: vec![0, 3],
            weights: vec![1.0, 0.0, 0.0, 1.0],
            bias: vec![0.0, 0.0],
            unknown_threshold: 0.5,
            maybe_threshold: 0.3,
        };
        assert!(head.probabilities(&[1.0]).is_empty());
        let p = head.probabilities(&[0.0, 5.0]);
        assert!(p[1] > 0.99);
    }

    #[test]
    fn other_probability_is_the_other_output_or_one() {
        let head = Head {
            input_dim: 2,
            outputs: vec![3, 0, 5],
            ..Default::default()
        };
        assert_eq!(head.other_probability(&[0.2, 0.7, 0.1]), 0.7);
        assert_eq!(
            head.other_probability(&[]),
            1.0,
            "no probabilities: nothing claims the clip"
        );
        let without_other = Head {
            outputs: vec![3, 5],
            ..head.clone()
        };
        assert_eq!(without_other.other_probability(&[0.4, 0.6]), 1.0);
        let groups = Head {
            outputs: vec![0, 0, 3],
            ..head
        };
        assert!((groups.other_probability(&[0.25, 0.5, 0.25]) - 0.75).abs() < 1e-6);
        assert_eq!(groups.other_probability(&[0.5, 0.5]), 1.0, "wrong length");
    }

    #[test]
    fn clip_label_scores_average_top_two() {
        let a = [0.9, 0.1];
        let b = [0.5, 0.2];
        let c = [0.1, 0.3];
        let s = clip_label_scores(&[&a, &b, &c], 2);
        assert!((s[0] - 0.7).abs() < 1e-6 && (s[1] - 0.25).abs() < 1e-6);
    }
}
