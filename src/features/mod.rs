//! Stage 2, features: for the analysis model (EfficientAT mn04), 32 kHz samples (or 16 kHz
//! upsampled x2) -> its 128-band log-mel ([`EfficientAtMel`], module `efficientat_mel`); for the
//! page's live spectrogram, 16 kHz samples -> a 64-band log-mel ([`LogMelExtractor`], [`LogMel`]).
//!
//! The display front end ([`FeatureConfig::display`]) follows the recipe of YAMNet's `features.py`
//! (Sori's analysis model before mn04):
//!
//! ```text
//! frame                    400-sample windows (25 ms), hop 160 (10 ms), no padding: 1 + (len-400)/160 frames
//! window                   periodic Hann, 0.5 - 0.5 cos(2 pi n / 400)
//! rfft                     512 points (the frame zero-padded at the end), magnitude |X| of 257 bins
//! mel                      64 triangular bands, 125-7500 Hz, HTK mel 1127 ln(1 + f/700), built like
//!                          tf.signal.linear_to_mel_weight_matrix (triangles in mel space, DC bin zeroed)
//! log                      ln(mel + 0.001)
//! ```
//!
//! [`LogMelExtractor`] plans the FFT and builds the window and filterbank once; computing a
//! frame allocates nothing. [`dominant_frequency`] is a separate helper (the strongest
//! spectral peak of a clip, for tests and the microphone self-check).
//!
//! ```
//! use sori::audio::{prepare, TARGET_RATE};
//! use sori::features::{dominant_frequency, FeatureConfig, LogMelExtractor};
//!
//! // One second of a 440 Hz tone at 44.1 kHz.
//! let rate = 44_100.0;
//! let tone: Vec<f32> = (0..44_100)
//!     .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate).sin())
//!     .collect();
//! let x = prepare(&tone, 44_100)?; // mono, 16 kHz
//! assert_eq!(x.len(), TARGET_RATE as usize);
//! assert!((dominant_frequency(&x, TARGET_RATE).unwrap() - 440.0).abs() < 1.0);
//!
//! let mut extractor = LogMelExtractor::new(&FeatureConfig::display());
//! let logmel = extractor.compute(&x);
//! assert_eq!((logmel.frames, logmel.bands), (98, 64));
//! assert_eq!(logmel.frame(97).len(), 64);
//! # Ok::<(), sori::audio::AudioError>(())
//! ```

mod efficientat_mel;
mod logmel;
mod mel;
mod spectrum;

pub use efficientat_mel::{
    EfficientAtMel, EFFICIENTAT_BANDS, EFFICIENTAT_HOP, EFFICIENTAT_RATE, MIN_SAMPLES,
};
pub use logmel::LogMelExtractor;
pub use mel::{hz_to_mel, mel_weight_matrix, MelFilterbank};
pub use spectrum::dominant_frequency;

/// Parameters of the 64-band log-mel front end. [`FeatureConfig::display`] (the [`Default`]) is
/// the page's live spectrogram; others are for experiments and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureConfig {
    /// Sample rate of the input, in Hz. Default: `16000`.
    pub sample_rate: u32,
    /// Analysis window length, in samples. Default: `400` (25 ms).
    pub window: usize,
    /// Hop between frames, in samples. Default: `160` (10 ms).
    pub hop: usize,
    /// FFT length (≥ `window`; the frame is zero-padded at the end). Default: `512`.
    pub fft_len: usize,
    /// Number of mel bands. Default: `64`.
    pub mel_bands: usize,
    /// Lower edge of the lowest mel band, in Hz. Default: `125.0`.
    pub mel_min_hz: f32,
    /// Upper edge of the highest mel band, in Hz. Default: `7500.0`.
    pub mel_max_hz: f32,
    /// Added to the mel energies before the natural log. Default: `0.001`.
    pub log_offset: f32,
}

impl FeatureConfig {
    /// The live display's front end (see the module docs).
    pub fn display() -> Self {
        FeatureConfig {
            sample_rate: 16_000,
            window: 400,
            hop: 160,
            fft_len: 512,
            mel_bands: 64,
            mel_min_hz: 125.0,
            mel_max_hz: 7500.0,
            log_offset: 0.001,
        }
    }

    /// Checks the parameters make sense: non-zero sizes, `hop <= window <= fft_len`, `fft_len` even,
    /// `0 <= mel_min_hz < mel_max_hz <= sample_rate / 2`, a positive finite `log_offset`.
    ///
    /// # Errors
    /// [`FeatureError::InvalidConfig`] naming the first problem.
    pub fn validate(&self) -> Result<(), FeatureError> {
        let bad = |why: &str| Err(FeatureError::InvalidConfig(why.to_string()));
        if self.sample_rate == 0 || self.window == 0 || self.hop == 0 || self.mel_bands == 0 {
            return bad("sample_rate, window, hop and mel_bands must be non-zero");
        }
        if self.fft_len < self.window || self.fft_len % 2 != 0 {
            return bad("fft_len must be even and at least window");
        }
        if self.hop > self.window {
            return bad("hop must not exceed window");
        }
        let nyquist = self.sample_rate as f32 / 2.0;
        if !(self.mel_min_hz >= 0.0
            && self.mel_min_hz < self.mel_max_hz
            && self.mel_max_hz <= nyquist)
        {
            return bad("need 0 <= mel_min_hz < mel_max_hz <= sample_rate / 2");
        }
        if !(self.log_offset.is_finite() && self.log_offset > 0.0) {
            return bad("log_offset must be positive and finite");
        }
        Ok(())
    }
}

impl Default for FeatureConfig {
    /// [`FeatureConfig::display`].
    fn default() -> Self {
        Self::display()
    }
}

/// Errors from the features stage.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum FeatureError {
    /// A [`FeatureConfig`] that cannot be computed.
    #[error("invalid feature configuration: {0}")]
    InvalidConfig(String),
}

/// A log-mel spectrogram: `frames` rows of `bands` values, row-major (`data[t * bands + b]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogMel {
    /// Mel bands per frame (64 for the display, 128 for mn04).
    pub bands: usize,
    /// Number of frames (10 ms apart for both front ends).
    pub frames: usize,
    /// `frames * bands` values, frame after frame.
    pub data: Vec<f32>,
}

impl LogMel {
    /// An empty spectrogram with `bands` bands, to be filled by [`LogMelExtractor::push`].
    pub fn new(bands: usize) -> Self {
        LogMel {
            bands,
            frames: 0,
            data: Vec::new(),
        }
    }

    /// Frame `t` (its `bands` values).
    ///
    /// # Panics
    /// If `t >= self.frames`.
    pub fn frame(&self, t: usize) -> &[f32] {
        assert!(t < self.frames, "frame {t} out of {}", self.frames);
        &self.data[t * self.bands..(t + 1) * self.bands]
    }

    /// Drops every frame (keeps `bands` and the allocation).
    pub fn clear(&mut self) {
        self.frames = 0;
        self.data.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_config_is_valid_and_bad_ones_are_not() {
        let a = FeatureConfig::display();
        assert_eq!(a, FeatureConfig::default());
        assert!(a.validate().is_ok());
        let mut c = a.clone();
        c.fft_len = 256;
        assert!(c.validate().is_err());
        let mut d = a.clone();
        d.mel_max_hz = 9000.0;
        assert!(d.validate().is_err());
    }

    #[test]
    fn frames_index_rows() {
        let bands = 2;
        let frames = 200;
        let lm = LogMel {
            bands,
            frames,
            data: (0..frames * bands).map(|v| v as f32).collect(),
        };
        assert_eq!(lm.frame(3), &[6.0, 7.0]);
        assert_eq!(lm.frame(199), &[398.0, 399.0]);
        assert_eq!(LogMel::new(64).frames, 0);
    }
}
