//! Training the classifier head: clip embeddings with labels -> [`Head`] (native only).
//!
//! Multinomial logistic regression over the standardised clip embedding, with L2
//! regularisation and class-balanced sample weights, trained by full-batch Adam.
//! Standardisation is folded into the weights, so the shipped head is a plain
//! `W·x + b`. Output 0 is "other": `other` and `near` clips are its examples.

use crate::matcher::{softmax_in_place, Head};

/// One training example: a clip embedding and its label (class id, 0 = other).
#[derive(Debug, Clone)]
pub struct Example {
    /// Clip embedding (`2 x 1024`: mean then max).
    pub x: Vec<f32>,
    /// Class id (1..=76) or 0 for "none of the classes".
    pub label: u16,
}

/// Training hyper-parameters.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Full-batch Adam steps. Default: `250`.
    pub steps: usize,
    /// Adam learning rate. Default: `0.01`.
    pub learning_rate: f32,
    /// L2 penalty on the weights (the loss is the weighted mean over examples). Default: `0.03`.
    pub l2: f32,
    /// Relative weight of the "other" class against one trained class. Default: `2.0`.
    pub other_weight: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            steps: 250,
            learning_rate: 0.01,
            l2: 0.03,
            other_weight: 2.0,
        }
    }
}

/// Trains a head on `examples`. The outputs are 0 ("other") followed by the class ids present,
/// ascending. Deterministic: same examples, same head.
pub fn train_head(examples: &[Example], opts: &TrainOptions) -> Head {
    let dim = examples.first().map_or(0, |e| e.x.len());
    let mut outputs: Vec<u16> = examples
        .iter()
        .map(|e| e.label)
        .filter(|&l| l != 0)
        .collect();
    outputs.sort_unstable();
    outputs.dedup();
    outputs.insert(0, 0);
    let k = outputs.len();
    let n = examples.len();
    if n == 0 || dim == 0 {
        return Head {
            input_dim: dim as u32,
            outputs,
            weights: vec![0.0; k * dim],
            bias: vec![0.0; k],
            unknown_threshold: 0.5,
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
        .map(|e| outputs.iter().position(|&o| o == e.label).unwrap_or(0))
        .collect();
    // Class-balanced sample weights, normalised to mean 1.
    let mut counts = vec![0usize; k];
    targets.iter().for_each(|&t| counts[t] += 1);
    let class_w: Vec<f32> = (0..k)
        .map(|c| {
            if counts[c] == 0 {
                0.0
            } else {
                (if c == 0 { opts.other_weight } else { 1.0 }) / counts[c] as f32
            }
        })
        .collect();
    let total: f32 = targets.iter().map(|&t| class_w[t]).sum();
    let sample_w: Vec<f32> = targets.iter().map(|&t| class_w[t] / total).collect();

    let mut w = vec![0.0f32; k * dim];
    let mut b = vec![0.0f32; k];
    let (mut mw, mut vw) = (vec![0.0f32; k * dim], vec![0.0f32; k * dim]);
    let (mut mb, mut vb) = (vec![0.0f32; k], vec![0.0f32; k]);
    let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let mut gw = vec![0.0f32; k * dim];
    let mut gb = vec![0.0f32; k];
    let mut errs = vec![0.0f32; n * k];
    // Work is split over threads so that every number is computed exactly as one thread would:
    // each example's errors on its own, then each class's gradient summed over the examples in
    // order (blocks of examples keep them in cache). The head is the same for any thread count.
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, k.max(1));
    let rows_per = n.div_ceil(threads).max(1);
    let classes_per = k.div_ceil(threads).max(1);
    const BLOCK: usize = 64;
    for step in 1..=opts.steps {
        std::thread::scope(|s| {
            for (t, chunk) in errs.chunks_mut(rows_per * k).enumerate() {
                let (w, b, xs, targets, sample_w) = (&w, &b, &xs, &targets, &sample_w);
                s.spawn(move || {
                    let mut p = vec![0.0f32; k];
                    for (j, e) in chunk.chunks_mut(k).enumerate() {
                        let i = t * rows_per + j;
                        let x = &xs[i * dim..(i + 1) * dim];
                        for c in 0..k {
                            p[c] = dot(&w[c * dim..(c + 1) * dim], x) + b[c];
                        }
                        softmax_in_place(&mut p);
                        for c in 0..k {
                            e[c] = (p[c] - if c == targets[i] { 1.0 } else { 0.0 }) * sample_w[i];
                        }
                    }
                });
            }
        });
        std::thread::scope(|s| {
            for (t, (gws, gbs)) in gw
                .chunks_mut(classes_per * dim)
                .zip(gb.chunks_mut(classes_per))
                .enumerate()
            {
                let (xs, errs) = (&xs, &errs);
                s.spawn(move || {
                    gws.iter_mut().for_each(|g| *g = 0.0);
                    gbs.iter_mut().for_each(|g| *g = 0.0);
                    for start in (0..n).step_by(BLOCK) {
                        for (cc, (grow, gbv)) in gws.chunks_mut(dim).zip(gbs.iter_mut()).enumerate()
                        {
                            let c = t * classes_per + cc;
                            for i in start..(start + BLOCK).min(n) {
                                let err = errs[i * k + c];
                                if err == 0.0 {
                                    continue;
                                }
                                *gbv += err;
                                for (g, &v) in grow.iter_mut().zip(&xs[i * dim..(i + 1) * dim]) {
                                    *g += err * v;
                                }
                            }
                        }
                    }
                });
            }
        });
        for (g, &wv) in gw.iter_mut().zip(&w) {
            *g += opts.l2 * wv;
        }
        let lr = opts.learning_rate * (1.0 - beta2.powi(step as i32)).sqrt()
            / (1.0 - beta1.powi(step as i32));
        adam(&mut w, &gw, &mut mw, &mut vw, lr, beta1, beta2, eps);
        adam(&mut b, &gb, &mut mb, &mut vb, lr, beta1, beta2, eps);
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
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
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
        for (label, centre) in [(0u16, 0.0f32), (3, 2.0), (7, -2.0)] {
            for _ in 0..40 {
                let x = (0..8)
                    .map(|d| if d < 2 { centre } else { 0.0 } + rnd())
                    .collect();
                out.push(Example { x, label });
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
                head.outputs[best] == e.label
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
