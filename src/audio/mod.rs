//! Stage 1, audio: PCM at any rate -> mono `Vec<f32>` at 16 kHz, loudness-normalised.
//!
//! Input: interleaved or mono `f32` samples plus their sample rate (the browser hands
//! `decodeAudioData` / AudioWorklet output; natively [`decode`] reads files).
//! Output: mono samples at [`TARGET_RATE`], ready for [`crate::features`].

use thiserror::Error;

/// The rate every later stage works at (YAMNet's).
pub const TARGET_RATE: u32 = 16_000;

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
}
