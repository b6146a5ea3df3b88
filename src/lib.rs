//! # Sori (소리): what sound is this?
//!
//! Sori matches a sound to one of the 76 everyday sound classes of the 2022
//! Image–Sound Matching AI hackathon and shows the class's image. The same
//! pure-Rust core runs natively (the `sori` CLI) and in the browser (the thin
//! [`web`] layer, wasm32 only).
//!
//! The modules follow the signal:
//!
//! ```text
//! audio      decode (native), downmix, resample to 16 kHz, normalise, stream  -> Vec<f32> @ 16 kHz
//! features   EfficientAtMel: mn04's 128-band log-mel (32 kHz, or 16 kHz upsampled x2) -> LogMel;
//!            LogMelExtractor: the live display's 64-band log-mel (16 kHz)      -> LogMel
//! embed      embed::efficientat: EfficientAT mn04 forward pass on a log-mel    -> Mn04Output, FeatureMap
//! fingerprint spectral-peak landmark hashes of reference recordings            -> Vec<Landmark>
//! index      the versioned binary index: classes, images, head, hashes          -> Index
//! matcher    clip embedding -> head -> class or "unknown", top-k               -> MatchResult
//! web        wasm-bindgen surface (wasm32 only)
//! ```
//!
//! Native-only modules: `build` (index building, head training, evaluation).

pub mod audio;
pub mod augment;
pub mod embed;
pub mod error;
pub mod features;
pub mod fingerprint;
pub mod index;
pub mod matcher;
pub mod taxonomy;
pub mod teach;

#[cfg(not(target_arch = "wasm32"))]
pub mod build;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
