//! The forward pass's shared inner loops: NHWC activations (`[h][w][c]`, one image) -> NHWC activations.
//!
//! Every kernel is plain safe Rust written so that LLVM vectorises the innermost loop over
//! channels: `f32x4` on wasm32 with `+simd128`, SSE/AVX natively. The pointwise convolution,
//! where most of mn04's multiply-adds are, is a register-blocked GEMM on packed
//! operands: [`pack_panels`] lays the weights out once at load as `NR`-column panels, and
//! [`pack_rows`] interleaves `MR` activation rows per call, so the micro-kernel streams both
//! contiguously and keeps an `MR x NR` accumulator tile in registers.

/// Rows (pixels) per GEMM micro-tile on the portable path (`f32x4`: 8 accumulator registers).
pub(crate) const MR: usize = 4;
/// Rows per GEMM micro-tile on the x86-64 AVX2 + FMA path (`f32x8`: 8 accumulator registers).
pub(crate) const MR_WIDE: usize = 8;
/// Columns (output channels) per GEMM micro-tile and weight panel.
pub(crate) const NR: usize = 8;

/// Valid kernel taps `k in 0..K` for output position `o`: input index `o * stride + k - pad` in `0..n`.
#[inline(always)]
pub(crate) fn taps<const K: usize>(
    o: usize,
    stride: usize,
    pad: usize,
    n: usize,
) -> (usize, usize) {
    let start = o * stride; // input index of tap k is start + k - pad
    let lo = pad.saturating_sub(start);
    let hi = (n + pad).saturating_sub(start).min(K);
    (lo, hi)
}

/// The activation a kernel applies to its output (after the bias).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    /// Identity.
    None,
    /// `max(x, 0)`.
    Relu,
    /// `x * clamp(x + 3, 0, 6) / 6` (MobileNetV3's hard swish).
    Hardswish,
}

impl Act {
    #[inline(always)]
    pub(crate) fn apply(self, x: f32) -> f32 {
        match self {
            Act::None => x,
            Act::Relu => x.max(0.0),
            Act::Hardswish => x * (x + 3.0).clamp(0.0, 6.0) * (1.0 / 6.0),
        }
    }
}

/// What [`pointwise`] does with each result `v = act(a @ w + bias)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Epilogue {
    /// `out = act(v)`.
    Store(Act),
    /// `out += v` (no activation): a residual connection whose shortcut is already in `out`.
    AddTo,
}

/// `acc[k] += s * w[k]`.
#[inline(always)]
fn axpy(acc: &mut [f32], s: f32, w: &[f32]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (acc, w) = simd128::axpy(acc, s, w);
    for (a, &w) in acc.iter_mut().zip(w) {
        *a += s * w;
    }
}

/// Explicit `f32x4` versions of the channel loops and the GEMM micro-tile for wasm32 `+simd128`,
/// where LLVM's auto-vectoriser leaves these loops mostly scalar. Each helper processes the
/// whole 4-lane chunks and returns the tails for the portable loop.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::{MR, NR};
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load, v128_store};

    #[inline(always)]
    fn load(s: &[f32]) -> v128 {
        assert!(s.len() >= 4);
        // SAFETY: `s` has at least 4 floats; v128_load has no alignment requirement.
        unsafe { v128_load(s.as_ptr().cast::<v128>()) }
    }

    #[inline(always)]
    fn store(s: &mut [f32], v: v128) {
        assert!(s.len() >= 4);
        // SAFETY: `s` has room for 4 floats; v128_store has no alignment requirement.
        unsafe { v128_store(s.as_mut_ptr().cast::<v128>(), v) }
    }

    /// `acc += s * w` over the 4-lane chunks; returns the tails.
    #[inline(always)]
    pub(super) fn axpy<'a, 'c>(
        acc: &'a mut [f32],
        s: f32,
        w: &'c [f32],
    ) -> (&'a mut [f32], &'c [f32]) {
        let n = acc.len().min(w.len()) / 4 * 4;
        let (head, tail) = acc.split_at_mut(n);
        let sv = f32x4_splat(s);
        for (a, w) in head.chunks_exact_mut(4).zip(w.chunks_exact(4)) {
            store(a, f32x4_add(load(a), f32x4_mul(sv, load(w))));
        }
        (tail, &w[n..])
    }

    /// The portable `MR x NR` = 4 x 8 micro-tile with 8 `f32x4` accumulators.
    #[inline(always)]
    pub(super) fn micro_tile(a: &[f32], w: &[f32], bias: &[f32; NR]) -> [[f32; NR]; MR] {
        const _: () = assert!(MR == 4 && NR == 8);
        let (b0, b1) = (load(&bias[..4]), load(&bias[4..]));
        let mut acc = [[b0, b1]; MR];
        for (av, wv) in a.chunks_exact(MR).zip(w.chunks_exact(NR)) {
            let (w0, w1) = (load(&wv[..4]), load(&wv[4..]));
            for (acc_r, &x) in acc.iter_mut().zip(av) {
                let x = f32x4_splat(x);
                acc_r[0] = f32x4_add(acc_r[0], f32x4_mul(x, w0));
                acc_r[1] = f32x4_add(acc_r[1], f32x4_mul(x, w1));
            }
        }
        let mut out = [[0f32; NR]; MR];
        for (o, a) in out.iter_mut().zip(acc) {
            store(&mut o[..4], a[0]);
            store(&mut o[4..], a[1]);
        }
        out
    }
}

/// Packs a `[cin][cout]` weight matrix into `cout / NR` panels of `[cin][NR]`.
///
/// # Panics
/// If `cout` is not a multiple of [`NR`] or `w.len() != cin * cout` (the loader checks both).
pub(crate) fn pack_panels(w: &[f32], cin: usize, cout: usize) -> Vec<f32> {
    assert!(cout % NR == 0 && w.len() == cin * cout);
    let mut packed = Vec::with_capacity(w.len());
    for p in 0..cout / NR {
        for row in w.chunks_exact(cout) {
            packed.extend_from_slice(&row[p * NR..][..NR]);
        }
    }
    packed
}

/// Interleaves `rows` rows of `a` (`[rows][cin]`) into tiles of `[cin][MR]`, zero-padding the last
/// tile; returns the number of tiles. `packed` must hold `rows.div_ceil(MR) * MR * cin` values.
#[inline(always)]
pub(crate) fn pack_rows<const MR: usize>(
    a: &[f32],
    rows: usize,
    cin: usize,
    packed: &mut [f32],
) -> usize {
    let tiles = rows.div_ceil(MR);
    for t in 0..tiles {
        let dst = &mut packed[t * MR * cin..][..MR * cin];
        for r in 0..MR {
            let row = t * MR + r;
            if row < rows {
                let src = &a[row * cin..][..cin];
                for (i, &x) in src.iter().enumerate() {
                    dst[i * MR + r] = x;
                }
            } else {
                for i in 0..cin {
                    dst[i * MR + r] = 0.0;
                }
            }
        }
    }
    tiles
}

/// Pointwise (1x1) convolution as a GEMM: `out[rows][cout] = epilogue(a @ w + bias)`.
/// `a_packed` comes from [`pack_rows`] with the same `MR`, `panels` from [`pack_panels`]. With
/// `FMA`, multiply-adds are fused (`f32::mul_add`): only for callers compiled with FMA enabled.
///
/// Tiles are visited in blocks of about 32 KiB of packed rows, every weight panel per block, so
/// neither operand leaves the cache whether the layer has many positions (EfficientAT's early
/// blocks) or many weights (its last layers). Each output is the same sum in the same order
/// whatever the blocking.
#[inline(always)]
pub(crate) fn pointwise<const MR: usize, const FMA: bool>(
    a_packed: &[f32],
    rows: usize,
    cin: usize,
    panels: &[f32],
    bias: &[f32],
    epilogue: Epilogue,
    out: &mut [f32],
) {
    let cout = bias.len();
    let tiles = rows.div_ceil(MR);
    let block = (8192 / (MR * cin)).max(1);
    for t0 in (0..tiles).step_by(block) {
        for (p, panel) in panels.chunks_exact(cin * NR).enumerate() {
            let b: &[f32; NR] = bias[p * NR..][..NR].try_into().expect("NR bias values");
            for t in t0..tiles.min(t0 + block) {
                let acc = micro_tile::<MR, FMA>(&a_packed[t * MR * cin..][..MR * cin], panel, b);
                for (r, acc_row) in acc.iter().enumerate().take(rows - t * MR) {
                    let o = &mut out[(t * MR + r) * cout + p * NR..][..NR];
                    match epilogue {
                        Epilogue::Store(act) => {
                            for (o, &v) in o.iter_mut().zip(acc_row) {
                                *o = act.apply(v);
                            }
                        }
                        Epilogue::AddTo => {
                            for (o, &v) in o.iter_mut().zip(acc_row) {
                                *o += v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The `MR x NR` register tile: `bias + sum_i a[i][r] * w[i][j]`.
#[inline(always)]
fn micro_tile<const MR: usize, const FMA: bool>(
    a: &[f32],
    w: &[f32],
    bias: &[f32; NR],
) -> [[f32; NR]; MR] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if MR == self::MR && !FMA {
        let tile = simd128::micro_tile(a, w, bias);
        let mut out = [[0f32; NR]; MR];
        out.iter_mut().zip(tile).for_each(|(o, t)| *o = t);
        return out;
    }
    let mut acc = [*bias; MR];
    for (av, wv) in a.chunks_exact(MR).zip(w.chunks_exact(NR)) {
        let av: &[f32; MR] = av.try_into().expect("MR values");
        let wv: &[f32; NR] = wv.try_into().expect("NR values");
        for r in 0..MR {
            for j in 0..NR {
                if FMA {
                    acc[r][j] = av[r].mul_add(wv[j], acc[r][j]);
                } else {
                    acc[r][j] += av[r] * wv[j];
                }
            }
        }
    }
    acc
}

/// Dense layer without activation: `out = x @ w + bias`, `w` is `[x.len()][out.len()]`.
#[inline(always)]
pub(crate) fn dense(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for (&xv, row) in x.iter().zip(w.chunks_exact(bias.len())) {
        axpy(out, xv, row);
    }
}

/// Mean over positions: `input` is `[positions][c]`, `out` `[c]`.
#[inline(always)]
pub(crate) fn mean_pool(input: &[f32], positions: usize, out: &mut [f32]) {
    out.fill(0.0);
    for row in input.chunks_exact(out.len()).take(positions) {
        for (o, &x) in out.iter_mut().zip(row) {
            *o += x;
        }
    }
    let inv = 1.0 / positions as f32;
    out.iter_mut().for_each(|o| *o *= inv);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic pseudo-random values in [-1, 1).
    pub(crate) fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    fn assert_close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * (1.0 + y.abs()),
                "index {i}: {x} vs {y}"
            );
        }
    }

    #[test]
    fn pointwise_gemm_matches_naive_including_partial_tiles_and_every_epilogue() {
        let epilogues = [
            Epilogue::Store(Act::Relu),
            Epilogue::Store(Act::Hardswish),
            Epilogue::Store(Act::None),
            Epilogue::AddTo,
        ];
        for &(rows, cin, cout) in &[(6, 16, 8), (1, 8, 16), (24, 64, 32), (13, 5, 24)] {
            let a = values(rows * cin, 7);
            let w = values(cin * cout, 8);
            let b = values(cout, 9);
            let residual = values(rows * cout, 10);
            let panels = pack_panels(&w, cin, cout);
            let mut packed = vec![f32::NAN; rows.div_ceil(MR_WIDE) * MR_WIDE * cin];
            for epi in epilogues {
                let want: Vec<f32> = (0..rows * cout)
                    .map(|k| {
                        let (r, o) = (k / cout, k % cout);
                        let s: f64 = (0..cin)
                            .map(|i| f64::from(a[r * cin + i] * w[i * cout + o]))
                            .sum();
                        let v = (s + f64::from(b[o])) as f32;
                        match epi {
                            Epilogue::Store(act) => act.apply(v),
                            Epilogue::AddTo => v + residual[k],
                        }
                    })
                    .collect();
                let mut out = residual.clone();
                pack_rows::<MR>(&a, rows, cin, &mut packed);
                pointwise::<MR, false>(&packed, rows, cin, &panels, &b, epi, &mut out);
                assert_close(&out, &want, 1e-5);
                let mut out = residual.clone();
                pack_rows::<MR_WIDE>(&a, rows, cin, &mut packed);
                pointwise::<MR_WIDE, true>(&packed, rows, cin, &panels, &b, epi, &mut out);
                assert_close(&out, &want, 1e-5);
            }
        }
    }

    #[test]
    fn dense_and_mean_pool() {
        let x = values(10, 10);
        let w = values(10 * 7, 11);
        let b = values(7, 12);
        let mut out = vec![0.0; 7];
        dense(&x, &w, &b, &mut out);
        for o in 0..7 {
            let s: f32 = (0..10).map(|i| x[i] * w[i * 7 + o]).sum::<f32>() + b[o];
            assert!((out[o] - s).abs() < 1e-5);
        }
        let mut m = vec![0.0; 2];
        mean_pool(&[1.0, 2.0, 3.0, 6.0, 5.0, 10.0], 3, &mut m);
        assert_eq!(m, vec![3.0, 6.0]);
    }
}
