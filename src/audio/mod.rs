//! Stage 1, audio: PCM at any rate -> mono `Vec<f32>` at 16 kHz.
//!
//! Input: interleaved or mono `f32` samples plus their sample rate (the browser hands
//! `decodeAudioData` / AudioWorklet output; natively [`decode`] reads files).
//! Output: mono samples at [`TARGET_RATE`], ready for [`crate::features`].
//!
//! The steps, in signal order:
//!
//! ```text
//! decode (native) -> downmix -> sanitize -> resample / StreamResampler -> (matcher) normalise_loudness
//! ```
//!
//! [`prepare`] runs validation, [`sanitize`] and [`resample`] in one call. Loudness
//! normalisation is *not* part of [`prepare`]: the matcher normalises each analysis window
//! with [`normalise_loudness`], so one loud event does not decide the gain of a whole file.

mod loudness;
mod playback;
mod resample;
mod upsample;

#[cfg(not(target_arch = "wasm32"))]
pub mod decode;

pub use loudness::{
    is_silent, normalise_loudness, Loudness, LOUDNESS_BLOCK, MAX_GAIN_DB, PEAK_LIMIT,
    RELATIVE_GATE_DB, SILENCE_DB, TARGET_RMS_DB,
};
pub use playback::{decode_for_playback, decode_ogg_vorbis};
pub use resample::{resample, resampled_len, StreamResampler};
pub use upsample::{Upsampler2x, HALF_TAPS, KAISER_BETA};

use thiserror::Error;

/// The rate every later stage works at (the corpus's; mn04's front end upsamples it x2).
pub const TARGET_RATE: u32 = 16_000;

/// Lowest accepted input sample rate, in Hz.
pub const MIN_RATE: u32 = 8_000;

/// Highest accepted input sample rate, in Hz.
pub const MAX_RATE: u32 = 96_000;

/// Longest input [`prepare`] (and [`decode`]) accept, in seconds: two hours.
pub const MAX_SECONDS: f64 = 2.0 * 3600.0;

/// Errors from the audio stage.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum AudioError {
    /// No samples at all.
    #[error("the audio is empty")]
    Empty,
    /// A sample rate outside 8–96 kHz (or zero).
    #[error("unsupported sample rate {rate} Hz (supported: 8000–96000 Hz)")]
    UnsupportedRate {
        /// The rate that was given.
        rate: u32,
    },
    /// The container or codec could not be read.
    #[error("cannot decode the audio: {0}")]
    Decode(String),
    /// A format Sori does not read.
    #[error("unsupported audio format: {0}")]
    Unsupported(String),
    /// Longer than Sori will analyse in one call.
    #[error("the audio is too long ({seconds:.0} s; at most {max:.0} s)")]
    TooLong {
        /// Duration given.
        seconds: f64,
        /// Longest accepted duration.
        max: f64,
    },
    /// Reading the file failed.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The resampler could not be built or run (an internal error; should not happen for
    /// supported rates).
    #[error("resampling failed: {0}")]
    Resample(String),
}

/// Checks that `rate` is within [`MIN_RATE`]..=[`MAX_RATE`].
///
/// # Errors
/// [`AudioError::UnsupportedRate`] otherwise.
pub fn check_rate(rate: u32) -> Result<(), AudioError> {
    if (MIN_RATE..=MAX_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(AudioError::UnsupportedRate { rate })
    }
}

/// Averages interleaved channels into one mono channel.
///
/// `interleaved` holds frames of `channels` samples each (`L R L R ...` for stereo). A
/// trailing incomplete frame is ignored. `channels == 1` returns a copy; `channels == 0`
/// returns an empty vector.
pub fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    match channels {
        0 => Vec::new(),
        1 => interleaved.to_vec(),
        _ => {
            let scale = 1.0 / channels as f32;
            interleaved
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() * scale)
                .collect()
        }
    }
}

/// Makes samples safe for the DSP stages: NaN and ±infinity become `0.0`, and finite values
/// are clamped to `[-1.0, 1.0]`.
///
/// Returns how many samples were changed (non-finite ones plus clamped ones), so a caller can
/// warn about a broken source.
pub fn sanitize(samples: &mut [f32]) -> usize {
    let mut replaced = 0;
    for s in samples.iter_mut() {
        if !s.is_finite() {
            *s = 0.0;
            replaced += 1;
        } else if *s > 1.0 {
            *s = 1.0;
            replaced += 1;
        } else if *s < -1.0 {
            *s = -1.0;
            replaced += 1;
        }
    }
    replaced
}

/// Validates, sanitises and resamples mono audio to [`TARGET_RATE`].
///
/// Steps: the rate must be within 8–96 kHz, the input non-empty and at most
/// [`MAX_SECONDS`] long; a copy is [`sanitize`]d and [`resample`]d to 16 kHz (output length
/// `round(len * 16000 / rate)`, at least 1). No loudness normalisation happens here.
///
/// # Errors
/// [`AudioError::UnsupportedRate`], [`AudioError::Empty`] or [`AudioError::TooLong`].
pub fn prepare(samples: &[f32], rate: u32) -> Result<Vec<f32>, AudioError> {
    check_rate(rate)?;
    if samples.is_empty() {
        return Err(AudioError::Empty);
    }
    let seconds = samples.len() as f64 / f64::from(rate);
    if seconds > MAX_SECONDS {
        return Err(AudioError::TooLong {
            seconds,
            max: MAX_SECONDS,
        });
    }
    let mut clean = samples.to_vec();
    sanitize(&mut clean);
    resample(&clean, rate, TARGET_RATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmix_averages_frames_and_drops_partial_frame() {
        let st = [1.0, 0.0, 0.5, 0.5, -1.0, 1.0, 0.25];
        assert_eq!(downmix(&st, 2), vec![0.5, 0.5, 0.0]);
        assert_eq!(downmix(&st, 1), st.to_vec());
        assert!(downmix(&st, 0).is_empty());
    }

    #[test]
    fn sanitize_counts_replacements() {
        let mut x = [f32::NAN, 0.5, f32::INFINITY, -2.0, f32::NEG_INFINITY, 1.5];
        assert_eq!(sanitize(&mut x), 5);
        assert_eq!(x, [0.0, 0.5, 0.0, -1.0, 0.0, 1.0]);
    }

    #[test]
    fn prepare_validates() {
        assert_eq!(prepare(&[], 16_000), Err(AudioError::Empty));
        assert_eq!(
            prepare(&[0.0], 7_999),
            Err(AudioError::UnsupportedRate { rate: 7_999 })
        );
        assert_eq!(
            prepare(&[0.0], 0),
            Err(AudioError::UnsupportedRate { rate: 0 })
        );
        assert!(prepare(&[0.0], 96_001).is_err());
        // 2 h + 1 sample at 8 kHz is too long (57.6 M samples: cheap to allocate).
        let long = vec![0.0f32; (MAX_SECONDS as usize) * 8_000 + 1];
        assert!(matches!(
            prepare(&long, 8_000),
            Err(AudioError::TooLong { .. })
        ));
    }
}
