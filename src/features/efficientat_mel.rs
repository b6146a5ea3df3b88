//! EfficientAT's log-mel front end: mono samples at 32 kHz (or 16 kHz, upsampled x2) -> a
//! 128-band [`LogMel`] (frames of 10 ms), the input of [`crate::embed::efficientat::Mn04`].
//!
//! Reproduces the model's own front end (PyTorch, evaluation mode), as its README describes it:
//!
//! ```text
//! pre-emphasis   y[n] = x[n + 1] - 0.97 x[n], n = 0 .. N - 2           (N - 1 samples)
//! centre         reflect-pad y by 512 on both sides (y[512] .. y[1] | y | y[N - 3] .. y[N - 514])
//! frame          1024 samples every 320 (10 ms): 1 + (N - 1) / 320 frames
//! window         symmetric Hann of 800 samples, 0.5 - 0.5 cos(2 pi n / 799), centred (112 zeros each side)
//! rfft           1024 points, power |X|^2 of bins 0 ..= 512 (in f64: see below)
//! mel            128 Kaldi triangles, mel(f) = 1127 ln(1 + f / 700), 0 .. 15,000 Hz, evenly spaced in mel,
//!                over bins 0 .. 511 (31.25 Hz apart); bin 512 has weight 0; not area-normalised
//! log            (ln(mel + 1e-5) + 4.5) / 5
//! ```
//!
//! Pre-emphasis and window are applied in `f32` as PyTorch does; the FFT, power and mel sums run in
//! `f64`. PyTorch's own `f32` FFT leaves up to 8e-5 of rounding noise in the log-mel of the weakest
//! bands of its reference; an `f32` FFT here would add as much again, beyond the 1e-4 the tests
//! hold this front end to, for a few tenths of a millisecond saved per 5 s.
//!
//! Input shorter than [`MIN_SAMPLES`] (where reflect padding would be undefined) is zero-padded at
//! the end to that length first, so any input, even empty, gives at least 4 frames.
//!
//! [`EfficientAtMel`] plans the FFT and builds the window and filterbank once;
//! [`EfficientAtMel::compute_into`] allocates nothing when called again at the same (or a shorter)
//! length. Samples should be finite ([`crate::audio::sanitize`]).

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::LogMel;
use crate::audio::Upsampler2x;

/// Sample rate the front end (and the model) expects, in Hz.
pub const EFFICIENTAT_RATE: u32 = 32_000;
/// Mel bands per frame.
pub const EFFICIENTAT_BANDS: usize = 128;
/// Hop between frames, in samples at 32 kHz (10 ms).
pub const EFFICIENTAT_HOP: usize = 320;
/// FFT length (and frame length after centring).
const N_FFT: usize = 1024;
/// Hann window length, centred in the FFT frame.
const WIN: usize = 800;
/// Pre-emphasis coefficient.
const PREEMPHASIS: f32 = 0.97;
/// Upper edge of the mel filterbank, in Hz.
const MEL_MAX_HZ: f64 = 15_000.0;
/// Shortest input (32 kHz samples) used as is; shorter input is zero-padded to it.
pub const MIN_SAMPLES: usize = N_FFT;

/// Computes EfficientAT log-mel spectrograms. Owns the FFT plan, window, filterbank and every
/// buffer, so repeated calls at the same length never allocate.
pub struct EfficientAtMel {
    fft: Arc<dyn RealToComplex<f64>>,
    window: Vec<f32>,
    /// `(first bin, weights)` of each of the 128 triangles.
    bank: Vec<(usize, Vec<f64>)>,
    padded: Vec<f32>,
    frame: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    fft_scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
    upsampler: Upsampler2x,
    upsampled: Vec<f32>,
}

impl std::fmt::Debug for EfficientAtMel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EfficientAtMel").finish_non_exhaustive()
    }
}

impl Default for EfficientAtMel {
    fn default() -> Self {
        Self::new()
    }
}

fn mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// The 128 Kaldi-style triangles over bins 0..512 as `(first bin, weights)` (see the module docs).
fn kaldi_bank() -> Vec<(usize, Vec<f64>)> {
    let bins = N_FFT / 2; // bin 512 (Nyquist) gets no weight
    let bin_hz = f64::from(EFFICIENTAT_RATE) / N_FFT as f64;
    let (lo, hi) = (mel(0.0), mel(MEL_MAX_HZ));
    let delta = (hi - lo) / (EFFICIENTAT_BANDS + 1) as f64;
    (0..EFFICIENTAT_BANDS)
        .map(|b| {
            let (left, centre, right) = (
                lo + b as f64 * delta,
                lo + (b + 1) as f64 * delta,
                lo + (b + 2) as f64 * delta,
            );
            let w: Vec<f64> = (0..bins)
                .map(|k| {
                    let m = mel(k as f64 * bin_hz);
                    let up = (m - left) / (centre - left);
                    let down = (right - m) / (right - centre);
                    up.min(down).max(0.0)
                })
                .collect();
            let first = w.iter().position(|&v| v > 0.0).unwrap_or(0);
            let last = w.iter().rposition(|&v| v > 0.0).map_or(first, |l| l + 1);
            (first, w[first..last].to_vec())
        })
        .collect()
}

impl EfficientAtMel {
    /// Plans the FFT and builds the window and the filterbank.
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(N_FFT);
        let window = (0..WIN)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / (WIN - 1) as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        EfficientAtMel {
            frame: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            fft_scratch: fft.make_scratch_vec(),
            power: vec![0.0; N_FFT / 2 + 1],
            fft,
            window,
            bank: kaldi_bank(),
            padded: Vec::new(),
            upsampler: Upsampler2x::new(),
            upsampled: Vec::new(),
        }
    }

    /// Frames for `len` samples at 32 kHz: `1 + (max(len, MIN_SAMPLES) - 1) / 320`.
    pub fn num_frames(len: usize) -> usize {
        1 + (len.max(MIN_SAMPLES) - 1) / EFFICIENTAT_HOP
    }

    /// The log-mel of `samples32k` (see the module docs) in a new [`LogMel`].
    pub fn compute(&mut self, samples32k: &[f32]) -> LogMel {
        let mut out = LogMel::default();
        self.compute_into(samples32k, &mut out);
        out
    }

    /// Writes the log-mel of `samples32k` into `out` (replacing it: 128 bands,
    /// [`EfficientAtMel::num_frames`] frames). Allocates only when the input is longer than any
    /// before or `out` must grow.
    pub fn compute_into(&mut self, samples32k: &[f32], out: &mut LogMel) {
        let n = samples32k.len().max(MIN_SAMPLES);
        let m = n - 1; // pre-emphasised length
        let pad = N_FFT / 2;
        self.padded.clear();
        self.padded.resize(m + 2 * pad, 0.0);
        let x = |i: usize| samples32k.get(i).copied().unwrap_or(0.0);
        {
            let y = &mut self.padded[pad..pad + m];
            for (i, v) in y.iter_mut().enumerate() {
                *v = x(i + 1) - PREEMPHASIS * x(i);
            }
        }
        for i in 1..=pad {
            self.padded[pad - i] = self.padded[pad + i];
            self.padded[pad + m - 1 + i] = self.padded[pad + m - 1 - i];
        }
        let frames = Self::num_frames(samples32k.len());
        out.bands = EFFICIENTAT_BANDS;
        out.frames = frames;
        out.data.clear();
        out.data.resize(frames * EFFICIENTAT_BANDS, 0.0);
        let offset = (N_FFT - WIN) / 2;
        for (t, row) in out.data.chunks_exact_mut(EFFICIENTAT_BANDS).enumerate() {
            let src = &self.padded[t * EFFICIENTAT_HOP + offset..][..WIN];
            self.frame.fill(0.0);
            for ((d, &s), &w) in self.frame[offset..offset + WIN]
                .iter_mut()
                .zip(src)
                .zip(&self.window)
            {
                *d = f64::from(s * w);
            }
            // Buffer sizes come from the plan itself, so this cannot fail; keep silence if it did.
            if self
                .fft
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.fft_scratch)
                .is_err()
            {
                self.spectrum.fill(Complex::new(0.0, 0.0));
            }
            for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
                *p = c.norm_sqr();
            }
            for (o, (first, w)) in row.iter_mut().zip(&self.bank) {
                let e: f64 = w
                    .iter()
                    .zip(&self.power[*first..])
                    .map(|(a, b)| a * b)
                    .sum();
                *o = (((e + 1e-5).ln() + 4.5) / 5.0) as f32;
            }
        }
    }

    /// Like [`EfficientAtMel::compute_into`] for 16 kHz input: upsampled x2 to 32 kHz first
    /// ([`Upsampler2x`]), so 5 s give 500 frames and the bands above 8 kHz hold (almost) nothing.
    pub fn compute_16k_into(&mut self, samples16k: &[f32], out: &mut LogMel) {
        let mut up = std::mem::take(&mut self.upsampled);
        self.upsampler.process_into(samples16k, &mut up);
        self.compute_into(&up, out);
        self.upsampled = up;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counts_and_short_input() {
        assert_eq!(EfficientAtMel::num_frames(96_000), 300);
        assert_eq!(EfficientAtMel::num_frames(160_000), 500);
        assert_eq!(EfficientAtMel::num_frames(0), 4);
        let mut fe = EfficientAtMel::new();
        let silent = fe.compute(&[]);
        assert_eq!((silent.bands, silent.frames), (128, 4));
        let floor = ((1e-5f32).ln() + 4.5) / 5.0;
        assert!(silent.data.iter().all(|&v| (v - floor).abs() < 1e-6));
        let tiny = fe.compute(&[0.5; 3]);
        assert!(tiny.data.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn filterbank_covers_0_to_15_khz() {
        let bank = kaldi_bank();
        assert_eq!(bank.len(), 128);
        assert!(bank
            .iter()
            .all(|(_, w)| !w.is_empty() && w.iter().all(|&v| v > 0.0 && v <= 1.0)));
        let (first, w) = &bank[127];
        assert!((first + w.len()) as f64 * 31.25 <= MEL_MAX_HZ + 31.25);
        assert_eq!(bank[0].0, 1); // bin 0 (0 Hz) sits on the first triangle's left edge
    }

    #[test]
    fn a_tone_lands_in_its_band_and_16k_input_leaves_the_top_empty() {
        let tone = |rate: f64, n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    (0.3 * (2.0 * std::f64::consts::PI * 3000.0 * i as f64 / rate).sin()) as f32
                })
                .collect()
        };
        let mut fe = EfficientAtMel::new();
        let a = fe.compute(&tone(32_000.0, 32_000));
        let mut b = LogMel::default();
        fe.compute_16k_into(&tone(16_000.0, 16_000), &mut b);
        assert_eq!((a.frames, b.frames), (100, 100));
        let peak =
            |lm: &LogMel| (0..128).max_by(|&i, &j| lm.frame(50)[i].total_cmp(&lm.frame(50)[j]));
        assert_eq!(peak(&a), peak(&b));
        let diff = a
            .frame(50)
            .iter()
            .zip(b.frame(50))
            .map(|(x, y)| (x - y).abs());
        // Same tone: the two paths agree below 8 kHz up to the upsampler's passband ripple.
        assert!(diff.take(60).fold(0.0, f32::max) < 0.05);
        let floor = ((1e-5f32).ln() + 4.5) / 5.0;
        assert!(
            b.frame(50)[100..].iter().all(|&v| v < floor + 0.05),
            "top bands not empty"
        );
    }
}
