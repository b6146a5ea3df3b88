//! Training the classifier head: clip embeddings with labels -> [`Head`] (native only).
//!
//! Multinomial logistic regression over the standardised clip embedding, with L2
//! regularisation and class-balanced sample weights, trained by full-batch Adam.
//! Standardisation is folded into the weights, so the shipped head is a plain
//! `W·x + b`.
//!
//! "Other" is not one output but one per **other group** (the source labels of the `other`
//! and `near` clips: dog bark, rain, cutlery, …), all with class id 0, weighted like classes:
//! a single linear "other" output cannot surround sounds as different as a dog and a drawer,
//! and cross-validated by recording the groups raise the share of class clips with a right
//! verdict at 5% false accepts from 45% to 61% (`docs/eval.md`). The matcher adds the groups'
//! probabilities up ([`Head::other_probability`]).

use crate::matcher::{softmax_in_place, Head};

/// What a training example is an example of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// None of the classes: the n-th other group (see the module docs).
    Other(u32),
    /// A class id (1..=76).
    Class(u16),
}

/// One training example: a clip embedding and what it is.
#[derive(Debug, Clone)]
pub struct Example {
    /// Clip embedding (mean then max of the window embeddings).
    pub x: Vec<f32>,
    /// Its class or other group.
    pub target: Target,
}

/// Training hyper-parameters.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Full-batch Adam steps. Default: `250`.
    pub steps: usize,
    /// Adam learning rate. Default: `0.01`.
    pub learning_rate: f32,
    /// L2 penalty on the weights (the loss is the weighted mean over examples). Default: `0.01`.
    pub l2: f32,
    /// Relative weight of one other group against one trained class. Default: `1.0`.
    pub other_weight: f32,
    /// Threads for the matrix products (the result does not depend on it). Default: `2`.
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            steps: 250,
            learning_rate: 0.01,
            l2: 0.01,
            other_weight: 1.0,
            threads: 2,
        }
    }
}

/// What each output of the head [`train_head`] makes from `examples` stands for, in output order.
pub fn head_targets(examples: &[Example]) -> Vec<Target> {
    let mut targets_present: Vec<Target> = examples.iter().map(|e| e.target).collect();
    targets_present.sort_unstable();
    targets_present.dedup();
    if !targets_present
        .iter()
        .any(|t| matches!(t, Target::Other(_)))
    {
        targets_present.insert(0, Target::Other(0));
    }
    targets_present
}

/// Trains a head on `examples`. The outputs are one 0 ("other") per other group present (at least
/// one), in group order, followed by the class ids present, ascending. Deterministic: same examples,
/// same head.
pub fn train_head(examples: &[Example], opts: &TrainOptions) -> Head {
    let dim = examples.first().map_or(0, |e| e.x.len());
    let targets_present = head_targets(examples);
    let outputs: Vec<u16> = targets_present
        .iter()
        .map(|t| match *t {
            Target::Other(_) => 0,
            Target::Class(c) => c,
        })
        .collect();
    let k = outputs.len();
    let n = examples.len();
    if n == 0 || dim == 0 {
        return Head {
            input_dim: dim as u32,
            outputs,
            weights: vec![0.0; k * dim],
            bias: vec![0.0; k],
            unknown_threshold: 0.5,
            maybe_threshold: 0.5,
        };
    }
    // Standardise features.
    let mut mean = vec![0.0f64; dim];
    let mut var = vec![0.0f64; dim];
    for e in examples {
        for (m, &v) in mean.iter_mut().zip(&e.x) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    for e in examples {
        for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(&e.x) {
            *s += (v as f64 - m).powi(2);
        }
    }
    let inv_std: Vec<f32> = var
        .iter()
        .map(|&s| (1.0 / ((s / n as f64).sqrt() + 1e-3)) as f32)
        .collect();
    let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    let xs: Vec<f32> = examples
        .iter()
        .flat_map(|e| {
            e.x.iter()
                .zip(&mean)
                .zip(&inv_std)
                .map(|((&v, &m), &s)| (v - m) * s)
        })
        .collect();
    let targets: Vec<usize> = examples
        .iter()
        .map(|e| targets_present.binary_search(&e.target).unwrap_or(0))
        .collect();
    // Class-balanced sample weights, normalised to mean 1.
    let mut counts = vec![0usize; k];
    targets.iter().for_each(|&t| counts[t] += 1);
    let class_w: Vec<f32> = (0..k)
        .map(|c| {
            if counts[c] == 0 {
                0.0
            } else {
                (if outputs[c] == 0 {
                    opts.other_weight
                } else {
                    1.0
                }) / counts[c] as f32
            }
        })
        .collect();
    let total: f32 = targets.iter().map(|&t| class_w[t]).sum();
    let sample_w: Vec<f32> = targets.iter().map(|&t| class_w[t] / total).collect();

    let mut b = vec![0.0f32; k];
    let (mut mw, mut vw) = (vec![0.0f32; k * dim], vec![0.0f32; k * dim]);
    let (mut mb, mut vb) = (vec![0.0f32; k], vec![0.0f32; k]);
    let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    // The weights are kept transposed (dim x k) while training, so both products below split
    // into contiguous row blocks; `w` gets them back as k x dim at the end.
    let mut wt = vec![0.0f32; dim * k];
    let mut gwt = vec![0.0f32; dim * k];
    let mut gb = vec![0.0f32; k];
    let mut err = vec![0.0f32; n * k];
    let threads = opts.threads.max(1);
    for step in 1..=opts.steps {
        // Logits (n x k) = xs · wt; then the weighted softmax error in place.
        products::matmul(&xs, (dim, 1), &wt, &mut err, n, dim, k, threads);
        for (i, row) in err.chunks_exact_mut(k).enumerate() {
            row.iter_mut().zip(&b).for_each(|(z, &bias)| *z += bias);
            softmax_in_place(row);
            row[targets[i]] -= 1.0;
            row.iter_mut().for_each(|e| *e *= sample_w[i]);
        }
        gb.iter_mut().for_each(|g| *g = 0.0);
        for row in err.chunks_exact(k) {
            gb.iter_mut().zip(row).for_each(|(g, &e)| *g += e);
        }
        // Weight gradient (dim x k) = xsᵀ · error, plus the L2 term.
        products::matmul(&xs, (1, dim), &err, &mut gwt, dim, n, k, threads);
        for (g, &wv) in gwt.iter_mut().zip(&wt) {
            *g += opts.l2 * wv;
        }
        let lr = opts.learning_rate * (1.0 - beta2.powi(step as i32)).sqrt()
            / (1.0 - beta1.powi(step as i32));
        adam(&mut wt, &gwt, &mut mw, &mut vw, lr, beta1, beta2, eps);
        adam(&mut b, &gb, &mut mb, &mut vb, lr, beta1, beta2, eps);
    }
    let mut w = vec![0.0f32; k * dim];
    for (d, row) in wt.chunks_exact(k).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            w[c * dim + d] = v;
        }
    }
    // Fold the standardisation in: w·((x − m)·s) + b = (w·s)·x + (b − Σ w·s·m).
    for c in 0..k {
        let row = &mut w[c * dim..(c + 1) * dim];
        let mut shift = 0.0f32;
        for ((wv, &s), &m) in row.iter_mut().zip(&inv_std).zip(&mean) {
            *wv *= s;
            shift += *wv * m;
        }
        b[c] -= shift;
    }
    Head {
        input_dim: dim as u32,
        outputs,
        weights: w,
        bias: b,
        unknown_threshold: 0.5,
        maybe_threshold: 0.5,
    }
}

/// The two matrix products of a training step, on `threads` threads. Each thread computes a block
/// of rows of the output with `matrixmultiply::sgemm`; rows are never summed over, so every value
/// is summed in the same order whatever the thread count.
mod products {
    /// `out (rows x cols) = a (rows x inner) · b (inner x cols)`, with `a` given by its strides
    /// `(row, column)` and `b`, `out` row-major; blocks of rows of `out` run on separate threads.
    #[allow(clippy::too_many_arguments)]
    pub fn matmul(
        a: &[f32],
        a_strides: (usize, usize),
        b: &[f32],
        out: &mut [f32],
        rows: usize,
        inner: usize,
        cols: usize,
        threads: usize,
    ) {
        assert!(
            out.len() == rows * cols && b.len() == inner * cols,
            "matmul shapes"
        );
        assert!(
            rows == 0
                || inner == 0
                || (rows - 1) * a_strides.0 + (inner - 1) * a_strides.1 < a.len(),
            "matmul: a is too short"
        );
        let per = rows.div_ceil(threads.max(1)).max(1);
        std::thread::scope(|s| {
            for (t, block) in out.chunks_mut(per * cols).enumerate() {
                let m = block.len() / cols;
                s.spawn(move || {
                    // SAFETY: the asserts above keep every index of `a` (from row t·per, m rows),
                    // `b` (inner x cols, row stride cols) and `block` (m x cols) inside its slice.
                    unsafe {
                        matrixmultiply::sgemm(
                            m,
                            inner,
                            cols,
                            1.0,
                            a.as_ptr().add(t * per * a_strides.0),
                            a_strides.0 as isize,
                            a_strides.1 as isize,
                            b.as_ptr(),
                            cols as isize,
                            1,
                            0.0,
                            block.as_mut_ptr(),
                            cols as isize,
                            1,
                        );
                    }
                });
            }
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn adam(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
) {
    for i in 0..p.len() {
        m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
        p[i] -= lr * m[i] / (v[i].sqrt() + eps);
    }
}

pub use crate::matcher::calibrate_threshold;

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(seed: u64) -> Vec<Example> {
        // Three separable Gaussian blobs in 8 dimensions (class 0 = other, 3, 7).
        let mut s = seed;
        let mut rnd = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let mut out = Vec::new();
        for (target, centre) in [
            (Target::Other(0), 0.0f32),
            (Target::Class(3), 2.0),
            (Target::Class(7), -2.0),
        ] {
            for _ in 0..40 {
                let x = (0..8)
                    .map(|d| if d < 2 { centre } else { 0.0 } + rnd())
                    .collect();
                out.push(Example { x, target });
            }
        }
        out
    }

    #[test]
    fn learns_separable_classes() {
        let train = blobs(1);
        let head = train_head(
            &train,
            &TrainOptions {
                steps: 200,
                ..Default::default()
            },
        );
        assert_eq!(head.outputs, vec![0, 3, 7]);
        let test = blobs(2);
        let correct = test
            .iter()
            .filter(|e| {
                let p = head.probabilities(&e.x);
                let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
                let want = match e.target {
                    Target::Other(_) => 0,
                    Target::Class(c) => c,
                };
                head.outputs[best] == want
            })
            .count();
        assert!(
            correct as f32 / test.len() as f32 > 0.95,
            "accuracy {correct}/{}",
            test.len()
        );
    }

    #[test]
    fn threshold_caps_false_accepts() {
        let neg: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        let t = calibrate_threshold(neg.clone(), 0.05, 0.1);
        let accepted = neg.iter().filter(|&&v| v >= t).count();
        assert!(accepted <= 5, "{accepted} accepted at {t}");
        assert!(t > 0.9 && t < 0.96);
        assert_eq!(calibrate_threshold(vec![], 0.05, 0.3), 0.3);
    }
}
