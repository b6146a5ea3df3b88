//! Native decoding: an audio file or its bytes -> [`Decoded`] mono `f32` at the file's rate.
//!
//! Uses symphonia with the WAV (PCM/ADPCM), Ogg Vorbis, FLAC and MP3 readers. Multi-channel
//! audio is averaged to mono with [`super::downmix`]. Errors, never panics: an empty input is
//! [`AudioError::Empty`], an unknown container or codec [`AudioError::Unsupported`], a broken
//! stream [`AudioError::Decode`]. Symphonia can panic on some malformed streams, so the whole
//! decode runs under `std::panic::catch_unwind` and a panic becomes [`AudioError::Decode`].
//!
//! Files longer than [`MAX_SECONDS`] are refused with [`AudioError::TooLong`] while decoding,
//! before they fill memory. Nothing is resampled here; pass the result to [`super::prepare`].

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use super::{downmix, AudioError, MAX_SECONDS};

/// Decoded audio: mono samples at the file's own rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Mono samples (channels averaged), nominally in `[-1, 1]`.
    pub samples: Vec<f32>,
    /// The file's sample rate, in Hz.
    pub sample_rate: u32,
    /// How many channels the file had before the downmix.
    pub channels: usize,
}

impl Decoded {
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.samples.len() as f64 / f64::from(self.sample_rate)
        }
    }
}

/// Decodes the file at `path`; its extension is used as a format hint.
///
/// # Errors
/// [`AudioError::Io`] when the file cannot be read, otherwise as [`decode_bytes`].
pub fn decode_file(path: &Path) -> Result<Decoded, AudioError> {
    let bytes =
        std::fs::read(path).map_err(|e| AudioError::Io(format!("{}: {e}", path.display())))?;
    let ext = path.extension().and_then(|e| e.to_str());
    decode_bytes(bytes, ext)
}

/// Decodes a whole file held in memory. `ext_hint` (e.g. `Some("ogg")`) helps the probe but is
/// not trusted: the content decides.
///
/// # Errors
/// [`AudioError::Empty`] for no bytes or no samples, [`AudioError::Unsupported`] for an
/// unknown format or codec, [`AudioError::Decode`] for a corrupt stream (or a decoder panic),
/// [`AudioError::TooLong`] beyond [`MAX_SECONDS`].
pub fn decode_bytes(bytes: Vec<u8>, ext_hint: Option<&str>) -> Result<Decoded, AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::Empty);
    }
    let hint = ext_hint.map(str::to_ascii_lowercase);
    match catch_unwind(AssertUnwindSafe(|| decode_inner(bytes, hint.as_deref()))) {
        Ok(result) => result,
        Err(_) => Err(AudioError::Decode(
            "the decoder crashed on this stream".into(),
        )),
    }
}

/// Corrupt container pages skipped before giving up on a stream.
const MAX_BAD_PAGES: usize = 32;

fn map_probe_error(e: SymError) -> AudioError {
    match e {
        SymError::Unsupported(what) => AudioError::Unsupported(what.to_string()),
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            AudioError::Unsupported("unrecognised or truncated audio data".into())
        }
        other => AudioError::Decode(other.to_string()),
    }
}

fn decode_inner(bytes: Vec<u8>, ext_hint: Option<&str>) -> Result<Decoded, AudioError> {
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = ext_hint {
        hint.with_extension(ext);
    }
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(map_probe_error)?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| AudioError::Unsupported("no audio track".into()))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::Unsupported("the track has no audio codec parameters".into()))?
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(what) => AudioError::Unsupported(what.to_string()),
            other => AudioError::Decode(other.to_string()),
        })?;

    let mut rate = params.sample_rate.unwrap_or(0);
    let mut channels = params.channels.as_ref().map_or(0, |c| c.count());
    let mut mono: Vec<f32> = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut decoded_packets = 0usize;
    let mut bad_packets = 0usize;
    let mut last_error = None;
    let mut bad_pages = 0usize;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) | Err(SymError::ResetRequired) => break,
            // A truncated file ends with an I/O error: keep what was decoded.
            Err(SymError::IoError(_)) if decoded_packets > 0 => break,
            // A corrupt page (bad CRC): the reader resyncs, so skip it, within reason.
            Err(SymError::DecodeError(msg)) if bad_pages < MAX_BAD_PAGES => {
                bad_pages += 1;
                last_error = Some(msg.to_string());
                continue;
            }
            Err(e) => {
                last_error = Some(e.to_string());
                break;
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                decoded_packets += 1;
                let spec = buf.spec();
                if spec.rate() > 0 {
                    rate = spec.rate();
                }
                let ch = buf.num_planes().max(1);
                channels = ch;
                interleaved.resize(buf.samples_interleaved(), 0.0);
                buf.copy_to_slice_interleaved(&mut interleaved);
                if ch == 1 {
                    mono.extend_from_slice(&interleaved);
                } else {
                    mono.extend(downmix(&interleaved, ch));
                }
                if rate > 0 && mono.len() as f64 / f64::from(rate) > MAX_SECONDS {
                    return Err(AudioError::TooLong {
                        seconds: mono.len() as f64 / f64::from(rate),
                        max: MAX_SECONDS,
                    });
                }
            }
            Err(SymError::DecodeError(msg)) | Err(SymError::Unsupported(msg)) => {
                bad_packets += 1;
                last_error = Some(msg.to_string());
                // Give up on a stream that is mostly garbage.
                if bad_packets > 64 && bad_packets > decoded_packets * 4 {
                    break;
                }
            }
            Err(SymError::IoError(_)) => bad_packets += 1,
            Err(e) => {
                last_error = Some(e.to_string());
                break;
            }
        }
    }
    if mono.is_empty() {
        return Err(match last_error {
            Some(msg) => AudioError::Decode(msg),
            None => AudioError::Empty,
        });
    }
    if rate == 0 {
        return Err(AudioError::Decode("the stream has no sample rate".into()));
    }
    Ok(Decoded {
        samples: mono,
        sample_rate: rate,
        channels,
    })
}
