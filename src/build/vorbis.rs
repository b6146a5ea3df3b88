//! The reference sounds' codec (native only): mono 16 kHz samples -> Ogg Vorbis bytes, and the
//! measure of what the round trip keeps.
//!
//! Encoding uses libvorbis with the aoTuV tunings (the `vorbis_rs` bindings) in quality-VBR mode,
//! with a fixed Ogg stream serial so that the same samples always give the same bytes. Chromium
//! and Firefox decode Ogg Vorbis natively (`decodeAudioData`); where a browser cannot (WebKit
//! before Safari 18.4), the page decodes it in the wasm ([`crate::audio::decode_for_playback`]). The round-trip measure here decodes with
//! symphonia's pure-Rust decoder ([`crate::audio::decode::decode_bytes`]).
//!
//! What the round trip keeps is measured on the log-mel spectrogram the matcher's display uses
//! (the display front end: 25 ms frames, 10 ms hop, 64 mel bands 125–7500 Hz): the Pearson correlation
//! of all (frame, band) values, original against decoded.

use crate::features::{FeatureConfig, LogMelExtractor};
use std::num::{NonZeroU32, NonZeroU8};
use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoderBuilder};

/// The rate reference sounds are stored at (the analysis rate: 8 kHz of audio bandwidth).
pub const SAMPLE_RATE: u32 = crate::audio::TARGET_RATE;
/// The Ogg stream serial of every reference sound ("SORI"): fixed, so builds are reproducible.
pub const STREAM_SERIAL: i32 = 0x534f_5249;
/// Samples handed to the encoder per call (libvorbis suggests about 1024).
const BLOCK: usize = 1024;

/// Encodes mono samples at [`SAMPLE_RATE`] as Ogg Vorbis at `quality` (libvorbis scale, -0.2..1;
/// aoTuV's lowest setting is -0.2). Deterministic.
///
/// # Errors
/// When there are no samples, or libvorbis refuses the settings.
pub fn encode(samples: &[f32], quality: f32) -> Result<Vec<u8>, String> {
    if samples.is_empty() {
        return Err("no samples to encode".into());
    }
    let rate = NonZeroU32::new(SAMPLE_RATE).expect("non-zero rate");
    let mut builder = VorbisEncoderBuilder::new_with_serial(
        rate,
        NonZeroU8::MIN,
        Vec::with_capacity(16 * 1024),
        STREAM_SERIAL,
    );
    builder.bitrate_management_strategy(VorbisBitrateManagementStrategy::QualityVbr {
        target_quality: quality,
    });
    let mut encoder = builder
        .build()
        .map_err(|e| format!("the Vorbis encoder refused quality {quality}: {e}"))?;
    for block in samples.chunks(BLOCK) {
        let clean: Vec<f32> = block
            .iter()
            .map(|s| {
                if s.is_finite() {
                    s.clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        encoder
            .encode_audio_block([clean])
            .map_err(|e| format!("encoding failed: {e}"))?;
    }
    encoder
        .finish()
        .map_err(|e| format!("encoding failed: {e}"))
}

/// Decodes Ogg Vorbis bytes as the page does (symphonia); returns mono samples and their rate.
///
/// # Errors
/// As [`crate::audio::decode::decode_bytes`].
pub fn decode(bytes: &[u8]) -> Result<(Vec<f32>, u32), crate::audio::AudioError> {
    let d = crate::audio::decode::decode_bytes(bytes.to_vec(), Some("ogg"))?;
    Ok((d.samples, d.sample_rate))
}

/// Pearson correlation of the log-mel spectrograms of two 16 kHz signals (over the frames both
/// have). 1 means the same spectro-temporal shape; 0 when either is too short to have a frame or
/// is constant.
pub fn logmel_correlation(a: &[f32], b: &[f32]) -> f32 {
    let mut ex = LogMelExtractor::new(&FeatureConfig::display());
    let (ma, mb) = (ex.compute(a), ex.compute(b));
    let n = ma.data.len().min(mb.data.len());
    pearson(&ma.data[..n], &mb.data[..n])
}

fn pearson(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let mean = |v: &[f32]| v[..n].iter().map(|&a| f64::from(a)).sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0f64, 0f64, 0f64);
    for (&a, &b) in x[..n].iter().zip(&y[..n]) {
        let (dx, dy) = (f64::from(a) - mx, f64::from(b) - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        0.0
    } else {
        (sxy / (sxx * syy).sqrt()) as f32
    }
}

/// Encodes, decodes and measures: the bytes and the log-mel correlation of the round trip.
///
/// # Errors
/// When encoding fails, or the decoder cannot read what the encoder wrote.
pub fn encode_checked(samples: &[f32], quality: f32) -> Result<(Vec<u8>, f32), String> {
    let bytes = encode(samples, quality)?;
    let (decoded, rate) =
        decode(&bytes).map_err(|e| format!("the encoded sound does not decode: {e}"))?;
    if rate != SAMPLE_RATE {
        return Err(format!(
            "the encoded sound decodes at {rate} Hz, not {SAMPLE_RATE}"
        ));
    }
    Ok((bytes, logmel_correlation(samples, &decoded)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_of_a_line_and_of_a_constant() {
        let x: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let y: Vec<f32> = x.iter().map(|v| 3.0 * v - 1.0).collect();
        assert!((pearson(&x, &y) - 1.0).abs() < 1e-6);
        let z: Vec<f32> = x.iter().map(|v| -v).collect();
        assert!((pearson(&x, &z) + 1.0).abs() < 1e-6);
        assert_eq!(pearson(&x, &[2.0; 10]), 0.0);
    }

    #[test]
    fn encoding_is_deterministic_and_refuses_nothing_to_encode() {
        let tone: Vec<f32> = (0..16_000).map(|i| 0.3 * (i as f32 * 0.07).sin()).collect();
        let a = encode(&tone, 0.0).unwrap();
        assert_eq!(a, encode(&tone, 0.0).unwrap(), "same samples, same bytes");
        assert!(a.starts_with(b"OggS"));
        assert!(encode(&[], 0.0).is_err());
    }
}
