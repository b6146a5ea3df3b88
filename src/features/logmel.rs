//! The STFT + mel + log pipeline: 16 kHz samples -> [`LogMel`] frames, whole-buffer or
//! streaming.
//!
//! Frame `t` covers samples `t * hop .. t * hop + window`; it is multiplied by a periodic Hann
//! window, zero-padded to `fft_len`, transformed with a planned real FFT, reduced to its
//! magnitude and passed through the [`MelFilterbank`] and `ln(· + log_offset)`.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::{FeatureConfig, FeatureError, LogMel, MelFilterbank};

/// Computes 64-band display log-mel frames. Owns the planned FFT, the window, the filterbank and all
/// scratch buffers, so computing a frame never allocates; only the output grows.
pub struct LogMelExtractor {
    cfg: FeatureConfig,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    bank: MelFilterbank,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    magnitude: Vec<f32>,
    scratch: Vec<Complex<f32>>,
    /// Streaming: samples not yet consumed by a complete frame (starts at the next frame).
    pending: Vec<f32>,
}

impl std::fmt::Debug for LogMelExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogMelExtractor")
            .field("cfg", &self.cfg)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl LogMelExtractor {
    /// Plans the FFT and builds the window and filterbank for `cfg`.
    ///
    /// # Panics
    /// If `cfg` is invalid (see [`FeatureConfig::validate`]); use [`LogMelExtractor::try_new`]
    /// for configurations that come from outside.
    pub fn new(cfg: &FeatureConfig) -> Self {
        match Self::try_new(cfg) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`LogMelExtractor::new`], but returns an error for an invalid configuration.
    ///
    /// # Errors
    /// [`FeatureError::InvalidConfig`].
    pub fn try_new(cfg: &FeatureConfig) -> Result<Self, FeatureError> {
        cfg.validate()?;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(cfg.fft_len);
        let n = cfg.window;
        // Periodic Hann, as tf.signal.hann_window(periodic=True).
        let window = (0..n)
            .map(|i| {
                let phase = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        Ok(LogMelExtractor {
            frame: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            magnitude: vec![0.0; cfg.fft_len / 2 + 1],
            bank: MelFilterbank::new(cfg),
            window,
            fft,
            cfg: cfg.clone(),
            pending: Vec::new(),
        })
    }

    /// The configuration this extractor computes.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// The magnitude spectrum (`fft_len / 2 + 1` bins, unnormalised: `|Σ x[n] w[n] e^{-iωn}|`)
    /// of one frame of `window` samples. Exposed for tests (Parseval) and diagnostics.
    ///
    /// # Panics
    /// If `frame.len() != window`.
    pub fn magnitude_spectrum(&mut self, frame: &[f32]) -> &[f32] {
        assert_eq!(frame.len(), self.cfg.window, "frame length");
        self.transform(frame);
        &self.magnitude
    }

    fn transform(&mut self, samples: &[f32]) {
        for ((dst, &x), &w) in self.frame.iter_mut().zip(samples).zip(&self.window) {
            *dst = x * w;
        }
        self.frame[self.cfg.window..].fill(0.0);
        // Buffer sizes come from the plan itself, so this cannot fail; keep silence if it did.
        if self
            .fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            self.spectrum.fill(Complex::new(0.0, 0.0));
        }
        for (m, c) in self.magnitude.iter_mut().zip(&self.spectrum) {
            *m = c.norm();
        }
    }

    /// Appends the log-mel values of the frame starting at `samples[0]` to `out`.
    fn frame_into(&mut self, samples: &[f32], out: &mut LogMel) {
        self.transform(samples);
        let bands = self.bank.num_bands();
        let start = out.data.len();
        out.data.resize(start + bands, 0.0);
        self.bank
            .apply_log(&self.magnitude, self.cfg.log_offset, &mut out.data[start..]);
        out.frames += 1;
    }

    /// Number of frames [`compute`](Self::compute) yields for `len` samples:
    /// `1 + (len - window) / hop`, or 0 when `len < window`.
    pub fn num_frames(&self, len: usize) -> usize {
        if len < self.cfg.window {
            0
        } else {
            1 + (len - self.cfg.window) / self.cfg.hop
        }
    }

    /// Log-mel of `samples16k` without padding: `1 + (len - 400) / 160` frames (0 if shorter
    /// than one window). Independent of any streaming state.
    pub fn compute(&mut self, samples16k: &[f32]) -> LogMel {
        let frames = self.num_frames(samples16k.len());
        let mut out = LogMel::new(self.cfg.mel_bands);
        out.data.reserve(frames * self.cfg.mel_bands);
        for t in 0..frames {
            let start = t * self.cfg.hop;
            self.frame_into(&samples16k[start..start + self.cfg.window], &mut out);
        }
        out
    }

    /// Streaming: appends to `out` every frame that `block16k` completes. Frames are those of
    /// [`compute`](Self::compute) on the concatenation of all blocks pushed since the last
    /// [`reset`](Self::reset), whatever the block sizes. If `out` holds no frames its `bands`
    /// is set to this extractor's band count.
    ///
    /// # Panics
    /// If `out` already holds frames with a different band count.
    pub fn push(&mut self, block16k: &[f32], out: &mut LogMel) {
        let bands = self.cfg.mel_bands;
        if out.frames == 0 {
            out.bands = bands;
        }
        assert_eq!(out.bands, bands, "LogMel band count");
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(block16k);
        let (window, hop) = (self.cfg.window, self.cfg.hop);
        let mut pos = 0;
        while pos + window <= pending.len() {
            self.frame_into(&pending[pos..pos + window], out);
            pos += hop;
        }
        // `hop <= window` (validated), so the next frame starts within the buffer.
        pending.drain(..pos.min(pending.len()));
        self.pending = pending;
    }

    /// Forgets buffered streaming samples.
    pub fn reset(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counts() {
        let mut x = LogMelExtractor::new(&FeatureConfig::display());
        assert_eq!(x.compute(&[0.0; 399]).frames, 0);
        assert_eq!(x.compute(&[0.0; 400]).frames, 1);
        assert_eq!(x.compute(&[0.0; 559]).frames, 1);
        assert_eq!(x.compute(&[0.0; 560]).frames, 2);
        assert_eq!(x.compute(&[0.1; 15_600]).data.len(), 96 * 64);
    }

    #[test]
    fn push_matches_compute_for_odd_blocks() {
        let mut x = LogMelExtractor::new(&FeatureConfig::display());
        let sig: Vec<f32> = (0..5_000)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        let whole = x.compute(&sig);
        let mut streamed = LogMel::new(64);
        for block in sig.chunks(37) {
            x.push(block, &mut streamed);
        }
        assert_eq!(whole, streamed);
    }
}
