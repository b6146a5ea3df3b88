//! Reference sounds for playback: Ogg Vorbis bytes -> mono `f32` samples at a player's rate.
//!
//! The page plays a class's reference sound (`<index>.sounds`, [`crate::index::sounds`]) with the
//! browser's own decoder where it can; where it cannot read Ogg Vorbis (WebKit before Safari 18.4
//! has no Ogg container), it calls this through `decodeOggVorbis` (src/web). Decoding is lewton's
//! pure-Rust Ogg Vorbis decoder (a fraction of symphonia's size in wasm: +152 kB gzipped for
//! symphonia's Ogg reader and Vorbis decoder, measured, against lewton's below), then
//! [`super::resample`] to the player's rate (an AudioContext runs at 44.1 or 48 kHz; a 16 kHz
//! buffer is not accepted by every WebKit). Natively, the same samples are checked against
//! symphonia's decode, the one `sori build` measures every sound with (tests/sounds_playback.rs).

use super::{check_rate, downmix, resample, sanitize, AudioError, MAX_SECONDS};
use lewton::inside_ogg::OggStreamReader;
use lewton::samples::InterleavedSamples;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Decodes an Ogg Vorbis stream held in memory: mono samples (channels averaged) and their rate.
/// A stream cut short keeps what was decoded before the cut.
///
/// # Errors
/// [`AudioError::Unsupported`] when the bytes are not an Ogg stream, [`AudioError::Decode`] when
/// its headers or first packet cannot be read (or the decoder panics, natively; a wasm32 build
/// aborts on a panic and the page catches the trap), [`AudioError::Empty`] for no samples,
/// [`AudioError::UnsupportedRate`] / [`AudioError::TooLong`] as elsewhere.
pub fn decode_ogg_vorbis(bytes: &[u8]) -> Result<(Vec<f32>, u32), AudioError> {
    if !bytes.starts_with(b"OggS") {
        return Err(AudioError::Unsupported("not an Ogg stream".into()));
    }
    match catch_unwind(AssertUnwindSafe(|| decode_inner(bytes))) {
        Ok(result) => result,
        Err(_) => Err(AudioError::Decode(
            "the decoder crashed on this stream".into(),
        )),
    }
}

fn decode_inner(bytes: &[u8]) -> Result<(Vec<f32>, u32), AudioError> {
    let mut reader = OggStreamReader::new(std::io::Cursor::new(bytes))
        .map_err(|e| AudioError::Decode(format!("Ogg Vorbis headers: {e}")))?;
    let rate = reader.ident_hdr.audio_sample_rate;
    let channels = usize::from(reader.ident_hdr.audio_channels).max(1);
    check_rate(rate)?;
    let mut mono = Vec::new();
    loop {
        match reader.read_dec_packet_generic::<InterleavedSamples<f32>>() {
            Ok(Some(packet)) if channels == 1 => mono.extend_from_slice(&packet.samples),
            Ok(Some(packet)) => mono.extend(downmix(&packet.samples, channels)),
            Ok(None) => break,
            Err(e) if mono.is_empty() => {
                return Err(AudioError::Decode(format!("Ogg Vorbis stream: {e}")))
            }
            // A damaged or truncated tail: keep what was decoded.
            Err(_) => break,
        }
        if mono.len() as f64 / f64::from(rate) > MAX_SECONDS {
            return Err(AudioError::TooLong {
                seconds: mono.len() as f64 / f64::from(rate),
                max: MAX_SECONDS,
            });
        }
    }
    if mono.is_empty() {
        return Err(AudioError::Empty);
    }
    Ok((mono, rate))
}

/// Decodes an Ogg Vorbis stream ([`decode_ogg_vorbis`]) and resamples it to `out_rate` (8–96 kHz).
///
/// # Errors
/// [`AudioError::UnsupportedRate`] for `out_rate` outside 8–96 kHz, otherwise as
/// [`decode_ogg_vorbis`].
pub fn decode_for_playback(bytes: &[u8], out_rate: u32) -> Result<Vec<f32>, AudioError> {
    check_rate(out_rate)?;
    let (mut samples, rate) = decode_ogg_vorbis(bytes)?;
    sanitize(&mut samples);
    resample(&samples, rate, out_rate)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_ogg_and_bad_rates() {
        assert!(matches!(
            decode_for_playback(b"RIFF....WAVE", 48_000),
            Err(AudioError::Unsupported(_))
        ));
        assert!(matches!(
            decode_for_playback(b"", 48_000),
            Err(AudioError::Unsupported(_))
        ));
        assert!(matches!(
            decode_for_playback(b"OggS\0\0\0", 4_000),
            Err(AudioError::UnsupportedRate { rate: 4_000 })
        ));
        // A truncated Ogg page: an error, not a panic.
        assert!(decode_for_playback(b"OggS\0\x02\0\0\0\0\0\0\0\0", 48_000).is_err());
    }
}
