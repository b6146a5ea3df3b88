//! mn04's spatial kernels on time-major, channel-last activations (`[t][f][c]` -> `[t'][f'][c']`):
//! the 1-channel stem convolution, depthwise `k x k` convolutions with PyTorch's symmetric
//! padding `k / 2`, and the squeeze-excitation gate. (The 1x1 convolutions are the shared packed
//! GEMM in `embed::kernels`.)
//!
//! Channels are processed in groups of [`LANES`] = 8 held in a fixed-size array, which LLVM keeps
//! in vector registers (one AVX register, two SSE / wasm `f32x4`); every mn04 width is a multiple
//! of 8, which [`super::Mn04::from_bytes`] relies on.

use crate::embed::kernels::{self, taps, Act};

/// Channels per vector group.
pub(crate) const LANES: usize = 8;

/// Output size of a `k x k`, stride-`s` convolution with padding `k / 2` on `n` positions.
#[inline(always)]
pub(crate) fn out_size(n: usize, k: usize, stride: usize) -> usize {
    (n + 2 * (k / 2) - k) / stride + 1
}

#[inline(always)]
fn lanes(s: &[f32]) -> [f32; LANES] {
    s[..LANES].try_into().expect("LANES values")
}

#[inline(always)]
fn fma_lanes<const FMA: bool>(acc: &mut [f32; LANES], x: &[f32; LANES], w: &[f32; LANES]) {
    for l in 0..LANES {
        acc[l] = if FMA {
            x[l].mul_add(w[l], acc[l])
        } else {
            acc[l] + x[l] * w[l]
        };
    }
}

/// `out[l] = act(acc[l])`.
#[inline(always)]
fn store(out: &mut [f32], acc: [f32; LANES], act: Act) {
    for (o, a) in out[..LANES].iter_mut().zip(acc) {
        *o = act.apply(a);
    }
}

/// Full `K x K` convolution of a 1-channel `[h][w]` input, + bias + `act`. `weights` is
/// `[K][K][cout]`, `out` receives `[oh][ow][cout]`; returns `(oh, ow)`.
#[inline(always)]
pub(crate) fn conv_single_channel<const K: usize, const FMA: bool>(
    input: &[f32],
    (h, w): (usize, usize),
    weights: &[f32],
    bias: &[f32],
    stride: usize,
    act: Act,
    out: &mut [f32],
) -> (usize, usize) {
    let (cout, pad) = (bias.len(), K / 2);
    let (oh, ow) = (out_size(h, K, stride), out_size(w, K, stride));
    for oy in 0..oh {
        let (ky0, ky1) = taps::<K>(oy, stride, pad, h);
        for ox in 0..ow {
            let (kx0, kx1) = taps::<K>(ox, stride, pad, w);
            let o = &mut out[(oy * ow + ox) * cout..][..cout];
            for ch in (0..cout).step_by(LANES) {
                let mut acc = lanes(&bias[ch..]);
                for ky in ky0..ky1 {
                    let row = &input[(oy * stride + ky - pad) * w..][..w];
                    for kx in kx0..kx1 {
                        let x = [row[ox * stride + kx - pad]; LANES];
                        fma_lanes::<FMA>(
                            &mut acc,
                            &x,
                            &lanes(&weights[(ky * K + kx) * cout + ch..]),
                        );
                    }
                }
                store(&mut o[ch..], acc, act);
            }
        }
    }
    (oh, ow)
}

/// Output positions `lo..hi` whose whole `K`-tap window lies inside `0..n` (no padding needed).
#[inline(always)]
fn interior<const K: usize>(n: usize, on: usize, stride: usize) -> (usize, usize) {
    let pad = K / 2;
    let lo = pad.div_ceil(stride);
    let hi = if n + pad >= K {
        ((n + pad - K) / stride + 1).min(on)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Depthwise `K x K` convolution + bias + `act`. `input` is `[h][w][c]`, `weights` `[K][K][c]`,
/// `out` receives `[oh][ow][c]`; returns `(oh, ow)`. `c` must be a multiple of [`LANES`].
///
/// Interior positions (the whole window inside the input) take a branch-free path over the `K`
/// input rows; border positions clip the window with [`taps`].
#[inline(always)]
pub(crate) fn depthwise<const K: usize, const FMA: bool>(
    input: &[f32],
    (h, w, c): (usize, usize, usize),
    weights: &[f32],
    bias: &[f32],
    stride: usize,
    act: Act,
    out: &mut [f32],
) -> (usize, usize) {
    debug_assert_eq!(c % LANES, 0);
    let pad = K / 2;
    let (oh, ow) = (out_size(h, K, stride), out_size(w, K, stride));
    let (ylo, yhi) = interior::<K>(h, oh, stride);
    let (xlo, xhi) = interior::<K>(w, ow, stride);
    let window = (K - 1) * c + LANES;
    for oy in 0..oh {
        let (ky0, ky1) = taps::<K>(oy, stride, pad, h);
        let inner_y = (ylo..yhi).contains(&oy);
        for ox in 0..ow {
            let o = &mut out[(oy * ow + ox) * c..][..c];
            if inner_y && (xlo..xhi).contains(&ox) {
                let (iy0, ix0) = (oy * stride - pad, ox * stride - pad);
                for ch in (0..c).step_by(LANES) {
                    let mut acc = lanes(&bias[ch..]);
                    for ky in 0..K {
                        let row = &input[((iy0 + ky) * w + ix0) * c + ch..][..window];
                        let wrow = &weights[ky * K * c + ch..][..window];
                        for kx in 0..K {
                            fma_lanes::<FMA>(
                                &mut acc,
                                &lanes(&row[kx * c..]),
                                &lanes(&wrow[kx * c..]),
                            );
                        }
                    }
                    store(&mut o[ch..], acc, act);
                }
                continue;
            }
            let (kx0, kx1) = taps::<K>(ox, stride, pad, w);
            for ch in (0..c).step_by(LANES) {
                let mut acc = lanes(&bias[ch..]);
                for ky in ky0..ky1 {
                    let row = &input[(oy * stride + ky - pad) * w * c..][..w * c];
                    let wrow = &weights[ky * K * c..][..K * c];
                    for kx in kx0..kx1 {
                        let x = lanes(&row[(ox * stride + kx - pad) * c + ch..]);
                        fma_lanes::<FMA>(&mut acc, &x, &lanes(&wrow[kx * c + ch..]));
                    }
                }
                store(&mut o[ch..], acc, act);
            }
        }
    }
    (oh, ow)
}

/// Squeeze-excitation: `x` (`[positions][c]`) *= `sigmoid(fc2(relu(fc1(mean(x)))))` per channel.
/// `fc1` is `[c][m]` weights + `m` biases, `fc2` `[m][c]` + `c`; `pooled` (c), `squeezed` (m) and
/// `gate` (c) are working memory.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn squeeze_excite(
    x: &mut [f32],
    positions: usize,
    (w1, b1): (&[f32], &[f32]),
    (w2, b2): (&[f32], &[f32]),
    pooled: &mut [f32],
    squeezed: &mut [f32],
    gate: &mut [f32],
) {
    let c = b2.len();
    kernels::mean_pool(&x[..positions * c], positions, &mut pooled[..c]);
    let squeezed = &mut squeezed[..b1.len()];
    kernels::dense(&pooled[..c], w1, b1, squeezed);
    squeezed.iter_mut().for_each(|v| *v = v.max(0.0));
    let gate = &mut gate[..c];
    kernels::dense(squeezed, w2, b2, gate);
    gate.iter_mut().for_each(|g| *g = 1.0 / (1.0 + (-*g).exp()));
    for row in x[..positions * c].chunks_exact_mut(c) {
        for (v, g) in row.iter_mut().zip(gate.iter()) {
            *v *= g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::kernels::tests::values;

    /// Naive PyTorch-style conv (padding k/2, zero outside), full (`groups = 1`) or depthwise.
    #[allow(clippy::too_many_arguments)]
    fn naive(
        x: &[f32],
        (h, w, cin): (usize, usize, usize),
        wt: &[f32],
        b: &[f32],
        k: usize,
        stride: usize,
        dw: bool,
        act: Act,
    ) -> Vec<f32> {
        let (cout, p) = (b.len(), (k / 2) as isize);
        let (oh, ow) = (out_size(h, k, stride), out_size(w, k, stride));
        let mut out = vec![0.0; oh * ow * cout];
        for oy in 0..oh {
            for ox in 0..ow {
                for co in 0..cout {
                    let mut acc = f64::from(b[co]);
                    for ky in 0..k {
                        for kx in 0..k {
                            let iy = (oy * stride + ky) as isize - p;
                            let ix = (ox * stride + kx) as isize - p;
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            let base = (iy as usize * w + ix as usize) * cin;
                            let tap = ky * k + kx;
                            acc += if dw {
                                f64::from(x[base + co] * wt[tap * cin + co])
                            } else {
                                (0..cin)
                                    .map(|ci| {
                                        f64::from(x[base + ci] * wt[(tap * cin + ci) * cout + co])
                                    })
                                    .sum::<f64>()
                            };
                        }
                    }
                    out[(oy * ow + ox) * cout + co] = act.apply(acc as f32);
                }
            }
        }
        out
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                "index {i}: {x} vs {y}"
            );
        }
    }

    #[test]
    fn out_size_is_ceil_for_symmetric_padding() {
        for n in 1..40 {
            for (k, s) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
                assert_eq!(out_size(n, k, s), n.div_ceil(s), "n {n} k {k} s {s}");
            }
        }
    }

    #[test]
    fn interior_is_where_the_window_needs_no_padding() {
        for n in 1..30 {
            for (k, s) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
                let on = out_size(n, k, s);
                let (lo, hi) = match k {
                    3 => interior::<3>(n, on, s),
                    _ => interior::<5>(n, on, s),
                };
                for o in 0..on {
                    let inside = o * s >= k / 2 && o * s + k - 1 - k / 2 < n;
                    assert_eq!((lo..hi).contains(&o), inside, "n {n} k {k} s {s} o {o}");
                }
            }
        }
    }

    #[test]
    fn depthwise_matches_naive_on_odd_even_and_tiny_sizes() {
        for &(h, w, c, stride) in &[
            (7, 5, 8, 2),
            (6, 4, 16, 2),
            (5, 3, 24, 1),
            (1, 1, 8, 2),
            (2, 9, 8, 1),
        ] {
            let x = values(h * w * c, 1);
            let b = values(c, 3);
            for act in [Act::None, Act::Relu, Act::Hardswish] {
                let wt3 = values(9 * c, 2);
                let (oh, ow) = (h.div_ceil(stride), w.div_ceil(stride));
                let mut out = vec![f32::NAN; oh * ow * c];
                assert_eq!(
                    depthwise::<3, false>(&x, (h, w, c), &wt3, &b, stride, act, &mut out),
                    (oh, ow)
                );
                assert_close(&out, &naive(&x, (h, w, c), &wt3, &b, 3, stride, true, act));
                let wt5 = values(25 * c, 4);
                depthwise::<5, true>(&x, (h, w, c), &wt5, &b, stride, act, &mut out);
                assert_close(&out, &naive(&x, (h, w, c), &wt5, &b, 5, stride, true, act));
            }
        }
    }

    #[test]
    fn stem_conv_matches_naive() {
        for &(h, w, stride) in &[(128, 10, 2), (7, 3, 2), (1, 1, 2), (5, 6, 1)] {
            let x = values(h * w, 5);
            let wt = values(9 * 16, 6);
            let b = values(16, 7);
            let mut out = vec![f32::NAN; h.div_ceil(stride) * w.div_ceil(stride) * 16];
            conv_single_channel::<3, false>(&x, (h, w), &wt, &b, stride, Act::Hardswish, &mut out);
            assert_close(
                &out,
                &naive(&x, (h, w, 1), &wt, &b, 3, stride, false, Act::Hardswish),
            );
        }
    }

    #[test]
    fn squeeze_excitation_scales_each_channel_by_its_gate() {
        let (positions, c, m) = (6, 16, 8);
        let x = values(positions * c, 8);
        let (w1, b1, w2, b2) = (
            values(c * m, 9),
            values(m, 10),
            values(m * c, 11),
            values(c, 12),
        );
        let mut y = x.clone();
        let (mut p, mut s, mut g) = (vec![0.0; c], vec![0.0; m], vec![0.0; c]);
        squeeze_excite(
            &mut y,
            positions,
            (&w1, &b1),
            (&w2, &b2),
            &mut p,
            &mut s,
            &mut g,
        );
        for ch in 0..c {
            let mean: f32 = (0..positions).map(|t| x[t * c + ch]).sum::<f32>() / positions as f32;
            assert!((p[ch] - mean).abs() < 1e-6);
        }
        for j in 0..m {
            let z: f32 = b1[j] + (0..c).map(|i| p[i] * w1[i * m + j]).sum::<f32>();
            assert!((s[j] - z.max(0.0)).abs() < 1e-5);
        }
        for ch in 0..c {
            let z: f32 = b2[ch] + (0..m).map(|j| s[j] * w2[j * c + ch]).sum::<f32>();
            let gate = 1.0 / (1.0 + (-z).exp());
            for t in 0..positions {
                assert!((y[t * c + ch] - x[t * c + ch] * gate).abs() < 1e-5);
            }
        }
    }
}
