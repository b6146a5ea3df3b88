//! Stage 2, features: 16 kHz samples -> YAMNet's log-mel spectrogram ([`LogMel`]) and its
//! 96-frame patches; and, for the EfficientAT mn04 model, 32 kHz samples (or 16 kHz upsampled x2)
//! -> its 128-band log-mel ([`EfficientAtMel`], module `efficientat_mel`).
//!
//! The front end reproduces YAMNet's `features.py` (TensorFlow) exactly:
//!
//! ```text
//! [pad_waveform]           zero-pad the end: >= 15,600 samples, then a whole number of 7,680-sample hops
//! frame                    400-sample windows (25 ms), hop 160 (10 ms), no padding: 1 + (len-400)/160 frames
//! window                   periodic Hann, 0.5 - 0.5 cos(2 pi n / 400)
//! rfft                     512 points (the frame zero-padded at the end), magnitude |X| of 257 bins
//! mel                      64 triangular bands, 125-7500 Hz, HTK mel 1127 ln(1 + f/700), built like
//!                          tf.signal.linear_to_mel_weight_matrix (triangles in mel space, DC bin zeroed)
//! log                      ln(mel + 0.001)
//! patches                  96 frames (0.96 s), hop 48 frames (0.48 s)
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
//! let mut extractor = LogMelExtractor::new(&FeatureConfig::yamnet());
//! let logmel = extractor.compute_padded(&x); // padded to 23,280 samples
//! assert_eq!((logmel.frames, logmel.num_patches()), (144, 2));
//! assert_eq!(logmel.patch(1).len(), 96 * 64);
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

/// Frames per patch in YAMNet (0.96 s); used by [`LogMel::patch`].
pub const PATCH_FRAMES: usize = 96;

/// Frames between patch starts in YAMNet (0.48 s); used by [`LogMel::patch`].
pub const PATCH_HOP: usize = 48;

/// Version tag mixed into [`FeatureConfig::hash`]; bump it when the computation changes
/// without a field changing.
pub const FEATURES_VERSION: &str = "sori-features-v1";

/// Parameters of the log-mel front end. [`FeatureConfig::yamnet`] (the [`Default`]) is the only
/// configuration the YAMNet model accepts; others are for experiments and tests.
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
    /// Frames per patch. Default: `96`.
    pub patch_frames: usize,
    /// Frames between patch starts. Default: `48`.
    pub patch_hop: usize,
}

impl FeatureConfig {
    /// YAMNet's front end (see the module docs).
    pub fn yamnet() -> Self {
        FeatureConfig {
            sample_rate: 16_000,
            window: 400,
            hop: 160,
            fft_len: 512,
            mel_bands: 64,
            mel_min_hz: 125.0,
            mel_max_hz: 7500.0,
            log_offset: 0.001,
            patch_frames: PATCH_FRAMES,
            patch_hop: PATCH_HOP,
        }
    }

    /// A stable 64-bit FNV-1a hash of [`FEATURES_VERSION`] followed by every field in
    /// declaration order as little-endian bytes (integers as `u64`, floats by their `f32` bit
    /// pattern). The same on every platform; an index stores it and refuses to load with
    /// features computed differently.
    pub fn hash(&self) -> u64 {
        let mut h = Fnv1a::new();
        h.write(FEATURES_VERSION.as_bytes());
        h.write(&u64::from(self.sample_rate).to_le_bytes());
        for v in [self.window, self.hop, self.fft_len, self.mel_bands] {
            h.write(&(v as u64).to_le_bytes());
        }
        for v in [self.mel_min_hz, self.mel_max_hz, self.log_offset] {
            h.write(&v.to_bits().to_le_bytes());
        }
        for v in [self.patch_frames, self.patch_hop] {
            h.write(&(v as u64).to_le_bytes());
        }
        h.0
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
        if self.patch_frames == 0 || self.patch_hop == 0 {
            return bad("patch_frames and patch_hop must be non-zero");
        }
        Ok(())
    }
}

impl Default for FeatureConfig {
    /// [`FeatureConfig::yamnet`].
    fn default() -> Self {
        Self::yamnet()
    }
}

struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
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
    /// Mel bands per frame (64 for YAMNet).
    pub bands: usize,
    /// Number of frames (10 ms apart for YAMNet).
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

    /// Number of complete YAMNet patches ([`PATCH_FRAMES`] frames every [`PATCH_HOP`]):
    /// `1 + (frames - 96) / 48`, or 0 with fewer than 96 frames.
    pub fn num_patches(&self) -> usize {
        if self.frames < PATCH_FRAMES {
            0
        } else {
            1 + (self.frames - PATCH_FRAMES) / PATCH_HOP
        }
    }

    /// Patch `i`: frames `48 i .. 48 i + 96`, as `96 * bands` contiguous values.
    ///
    /// # Panics
    /// If `i >= self.num_patches()`.
    pub fn patch(&self, i: usize) -> &[f32] {
        assert!(
            i < self.num_patches(),
            "patch {i} out of {}",
            self.num_patches()
        );
        let start = i * PATCH_HOP * self.bands;
        &self.data[start..start + PATCH_FRAMES * self.bands]
    }

    /// Drops every frame (keeps `bands` and the allocation).
    pub fn clear(&mut self) {
        self.frames = 0;
        self.data.clear();
    }
}

/// Zero-pads `samples` at the end exactly like YAMNet's `pad_waveform`: to at least one patch
/// (`window + (patch_frames - 1) * hop` = 15,600 samples), then up to a whole number of patch
/// hops (`patch_hop * hop` = 7,680 samples) after it. The result always yields
/// `1 + hops` patches and `96 + 48 * hops` frames.
pub fn pad_waveform(samples: &[f32], cfg: &FeatureConfig) -> Vec<f32> {
    let min_len = cfg.window + cfg.patch_frames.saturating_sub(1) * cfg.hop;
    let hop_len = (cfg.patch_hop * cfg.hop).max(1);
    let n = samples.len().max(min_len);
    let hops = (n - min_len).div_ceil(hop_len);
    let padded_len = min_len + hops * hop_len;
    let mut out = Vec::with_capacity(padded_len);
    out.extend_from_slice(samples);
    out.resize(padded_len, 0.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_matches_yamnet() {
        let cfg = FeatureConfig::yamnet();
        for (len, want) in [
            (0, 15_600),
            (1, 15_600),
            (15_600, 15_600),
            (15_601, 23_280),
            (23_280, 23_280),
            (80_000, 15_600 + 9 * 7_680),
        ] {
            assert_eq!(pad_waveform(&vec![1.0; len], &cfg).len(), want, "{len}");
        }
        let p = pad_waveform(&[0.5, -0.5], &cfg);
        assert_eq!(&p[..3], &[0.5, -0.5, 0.0]);
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let a = FeatureConfig::yamnet();
        assert_eq!(a.hash(), FeatureConfig::default().hash());
        let mut b = a.clone();
        b.log_offset = 0.01;
        assert_ne!(a.hash(), b.hash());
        let mut c = a.clone();
        c.patch_hop = 96;
        assert_ne!(a.hash(), c.hash());
        assert!(a.validate().is_ok());
        c.fft_len = 256;
        assert!(c.validate().is_err());
    }

    #[test]
    fn patches_index_frames() {
        let bands = 2;
        let frames = 200;
        let lm = LogMel {
            bands,
            frames,
            data: (0..frames * bands).map(|v| v as f32).collect(),
        };
        assert_eq!(lm.num_patches(), 3);
        assert_eq!(lm.patch(1)[0], (48 * bands) as f32);
        assert_eq!(lm.patch(2).len(), 96 * bands);
        assert_eq!(lm.frame(3), &[6.0, 7.0]);
        assert_eq!(LogMel::new(64).num_patches(), 0);
    }
}
