//! Deterministic augmentation: mono `&[f32]` in, a degraded `Vec<f32>` of the same length out.
//!
//! Used to train the classifier head, for robustness tests of the [`crate::fingerprint`]
//! stage and for benchmarks. Every random choice comes from a [`fastrand::Rng`] seeded by
//! the caller, so the same input and seed always give the same output, natively and in wasm.
//!
//! Conventions shared by all functions:
//! - the output has exactly the input's length (reverb tails are cut, noise is looped/cut);
//! - SNRs are in dB, measured against the RMS of the whole input signal;
//! - empty input gives empty output, and non-finite parameters leave the signal unchanged
//!   (nothing here panics on bad input).

use realfft::RealFftPlanner;

/// Ratio of the RMS of `x` to the RMS of a noise that realises `snr_db`.
fn noise_rms_for(x: &[f32], snr_db: f32) -> Option<f32> {
    if x.is_empty() || !snr_db.is_finite() {
        return None;
    }
    let r = rms(x);
    if r == 0.0 || !r.is_finite() {
        return None;
    }
    Some(r / 10f32.powf(snr_db / 20.0))
}

/// Root mean square of `x` (0 for an empty slice), accumulated in `f64`.
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    let sum: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    (sum / x.len() as f64).sqrt() as f32
}

/// `x + noise`, with `noise` rescaled so that its RMS is exactly `target_rms`.
fn add_scaled(x: &[f32], noise: &[f32], target_rms: f32) -> Vec<f32> {
    let n_rms = rms(noise);
    if n_rms == 0.0 {
        return x.to_vec();
    }
    let k = target_rms / n_rms;
    x.iter().zip(noise).map(|(&a, &b)| a + k * b).collect()
}

/// Standard normal samples (Box–Muller) from a seeded generator.
fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        // 1 - f64() lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - rng.f64();
        let u2 = rng.f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let a = std::f64::consts::TAU * u2;
        out.push((r * a.cos()) as f32);
        out.push((r * a.sin()) as f32);
    }
    out.truncate(n);
    out
}

/// Adds white Gaussian noise at `snr_db` (against the RMS of `x`).
///
/// Silent or empty input, or a non-finite `snr_db`, is returned unchanged.
pub fn add_white_noise(x: &[f32], snr_db: f32, seed: u64) -> Vec<f32> {
    match noise_rms_for(x, snr_db) {
        Some(target) => add_scaled(x, &gaussian(x.len(), seed), target),
        None => x.to_vec(),
    }
}

/// Pink (1/f) noise: white noise through Paul Kellet's refined pinking filter.
fn pink(n: usize, seed: u64) -> Vec<f32> {
    let white = gaussian(n, seed);
    let mut b = [0f32; 7];
    white
        .iter()
        .map(|&w| {
            b[0] = 0.99886 * b[0] + w * 0.055_517_9;
            b[1] = 0.99332 * b[1] + w * 0.075_075_9;
            b[2] = 0.96900 * b[2] + w * 0.153_852;
            b[3] = 0.86650 * b[3] + w * 0.310_485_6;
            b[4] = 0.55000 * b[4] + w * 0.532_952_2;
            b[5] = -0.7616 * b[5] - w * 0.016_898;
            let out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
            b[6] = w * 0.115_926;
            out
        })
        .collect()
}

/// Adds pink (−3 dB/octave) noise at `snr_db` against the RMS of `x`.
///
/// Silent or empty input, or a non-finite `snr_db`, is returned unchanged.
pub fn add_pink_noise(x: &[f32], snr_db: f32, seed: u64) -> Vec<f32> {
    match noise_rms_for(x, snr_db) {
        Some(target) => add_scaled(x, &pink(x.len(), seed), target),
        None => x.to_vec(),
    }
}

/// Mixes `y` into `x` at `snr_db` (RMS of `x` over RMS of the scaled `y`); `y` is looped or cut
/// to `x`'s length.
///
/// Returns `x` unchanged when `x` or `y` is silent or empty, or `snr_db` is not finite.
pub fn mix(x: &[f32], y: &[f32], snr_db: f32) -> Vec<f32> {
    let Some(target) = noise_rms_for(x, snr_db) else {
        return x.to_vec();
    };
    if y.is_empty() {
        return x.to_vec();
    }
    let looped: Vec<f32> = y.iter().copied().cycle().take(x.len()).collect();
    add_scaled(x, &looped, target)
}

/// Multiplies `x` by `10^(db/20)`; a non-finite `db` returns `x` unchanged.
pub fn gain_db(x: &[f32], db: f32) -> Vec<f32> {
    if !db.is_finite() {
        return x.to_vec();
    }
    let k = 10f32.powf(db / 20.0);
    x.iter().map(|&v| v * k).collect()
}

/// A direct-form-I biquad section (RBJ audio-EQ cookbook coefficients).
#[derive(Debug, Clone, Copy)]
struct Biquad {
    b: [f32; 3],
    a: [f32; 2],
}

impl Biquad {
    /// Second-order high-pass (`high = true`) or low-pass at `fc` Hz with quality `q`.
    fn new(high: bool, fc: f32, q: f32, sample_rate: u32) -> Self {
        let w0 = std::f32::consts::TAU * fc / sample_rate as f32;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let a0 = 1.0 + alpha;
        let (b0, b1) = if high {
            ((1.0 + cos) / 2.0, -(1.0 + cos))
        } else {
            ((1.0 - cos) / 2.0, 1.0 - cos)
        };
        Self {
            b: [b0 / a0, b1 / a0, b0 / a0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
        }
    }

    /// Filters `x` in place, starting from a zero state.
    fn run(&self, x: &mut [f32]) {
        let (mut x1, mut x2, mut y1, mut y2) = (0f32, 0f32, 0f32, 0f32);
        for v in x.iter_mut() {
            let x0 = *v;
            let y0 =
                self.b[0] * x0 + self.b[1] * x1 + self.b[2] * x2 - self.a[0] * y1 - self.a[1] * y2;
            x2 = x1;
            x1 = x0;
            y2 = y1;
            y1 = y0;
            *v = y0;
        }
    }
}

/// Quality factors of the two sections of a 4th-order Butterworth filter.
const BUTTERWORTH4_Q: [f32; 2] = [0.541_196_1, 1.306_563];

/// Telephone band: 4th-order Butterworth high-pass at 300 Hz then 4th-order low-pass at
/// 3400 Hz (four cascaded biquads; the low-pass is skipped when 3400 Hz is above Nyquist).
///
/// About −38 dB at 100 Hz and −20 dB or more at 6 kHz (16 kHz rate). A zero `sample_rate`
/// returns `x` unchanged.
pub fn phone_bandpass(x: &[f32], sample_rate: u32) -> Vec<f32> {
    let mut y = x.to_vec();
    if sample_rate == 0 {
        return y;
    }
    let nyquist = sample_rate as f32 / 2.0;
    for q in BUTTERWORTH4_Q {
        if 300.0 < nyquist * 0.95 {
            Biquad::new(true, 300.0, q, sample_rate).run(&mut y);
        }
        if 3400.0 < nyquist * 0.95 {
            Biquad::new(false, 3400.0, q, sample_rate).run(&mut y);
        }
    }
    y
}

/// Longest impulse response [`reverb`] builds, in seconds.
pub const MAX_RT60_S: f32 = 5.0;

/// Synthetic room: convolves `x` with Gaussian noise decaying by 60 dB in `rt60_s` seconds
/// (the IR lasts `rt60_s`, at most [`MAX_RT60_S`], and has unit energy), then returns
/// `(1 - wet) * x + wet * reverberated`, cut to `x`'s length.
///
/// `wet` is clamped to 0..=1. Non-finite or non-positive `rt60_s`, a zero `sample_rate`
/// or empty input return `x` unchanged.
pub fn reverb(x: &[f32], sample_rate: u32, rt60_s: f32, wet: f32, seed: u64) -> Vec<f32> {
    if x.is_empty() || sample_rate == 0 || !rt60_s.is_finite() || rt60_s <= 0.0 || !wet.is_finite()
    {
        return x.to_vec();
    }
    let wet = wet.clamp(0.0, 1.0);
    let rt60 = rt60_s.min(MAX_RT60_S);
    let len = ((rt60 * sample_rate as f32) as usize).max(1);
    let decay = -6.907_755 / (rt60 * sample_rate as f32); // ln(10^-3) per sample
    let mut ir = gaussian(len, seed);
    for (i, v) in ir.iter_mut().enumerate() {
        *v *= (decay * i as f32).exp();
    }
    let e = rms(&ir) * (len as f32).sqrt();
    if e > 0.0 {
        ir.iter_mut().for_each(|v| *v /= e);
    }
    let wet_sig = convolve_cut(x, &ir);
    x.iter()
        .zip(&wet_sig)
        .map(|(&d, &w)| (1.0 - wet) * d + wet * w)
        .collect()
}

/// Linear convolution of `x` with `h` through one real FFT, cut to `x.len()` samples.
fn convolve_cut(x: &[f32], h: &[f32]) -> Vec<f32> {
    let n = (x.len() + h.len() - 1).next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut xa = fwd.make_input_vec();
    let mut ha = fwd.make_input_vec();
    xa[..x.len()].copy_from_slice(x);
    ha[..h.len()].copy_from_slice(h);
    let mut xs = fwd.make_output_vec();
    let mut hs = fwd.make_output_vec();
    // Lengths come from the plan itself, so these calls cannot fail.
    if fwd.process(&mut xa, &mut xs).is_err() || fwd.process(&mut ha, &mut hs).is_err() {
        return x.to_vec();
    }
    for (a, b) in xs.iter_mut().zip(&hs) {
        *a *= *b;
    }
    // The DC and Nyquist bins of a real signal's spectrum must be real.
    if let Some(first) = xs.first_mut() {
        first.im = 0.0;
    }
    if let Some(last) = xs.last_mut() {
        last.im = 0.0;
    }
    let mut out = inv.make_output_vec();
    if inv.process(&mut xs, &mut out).is_err() {
        return x.to_vec();
    }
    let scale = 1.0 / n as f32;
    out.truncate(x.len());
    out.iter_mut().for_each(|v| *v *= scale);
    out
}

/// "Through a speaker and a phone mic": [`phone_bandpass`], a small room
/// ([`reverb`] with RT60 0.35 s, 35 % wet) and mild soft clipping
/// (`p·tanh(1.5·v/p)/1.5`, `p` = the peak level: unity gain for quiet samples, peaks
/// about 4.4 dB lower).
pub fn phone_and_room(x: &[f32], sample_rate: u32, seed: u64) -> Vec<f32> {
    let band = phone_bandpass(x, sample_rate);
    let mut y = reverb(&band, sample_rate, 0.35, 0.35, seed);
    let peak = y.iter().fold(0f32, |m, v| m.max(v.abs()));
    if peak > 0.0 && peak.is_finite() {
        const DRIVE: f32 = 1.5;
        y.iter_mut()
            .for_each(|v| *v = peak * (DRIVE * *v / peak).tanh() / DRIVE);
    }
    y
}
