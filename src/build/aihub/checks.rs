//! Cheap per-file checks before anything is analysed: a sound or image entry -> its content
//! fingerprint (for duplicates), image size, or the reason it cannot be used.
//!
//! Sounds: the bytes must be readable (a zip member's CRC is checked as it streams), and a WAV's
//! `data` chunk must fit in the file (a cut download is refused here, where the decoder would
//! quietly use what is there). Images: the header must give a format and a size, and the file
//! must be complete (a JPEG's end-of-image marker, a PNG's `IEND`, a WebP's RIFF length). Plain
//! files are read only at their head and tail; archive members are streamed whole. Full image
//! decoding happens only for the photos considered for the index ([`crate::build::photos`]).

use super::source::{self, Entry};

/// Bytes read at the start of a plain file (headers, EXIF and the WAV `fmt`/`data` chunks fit).
const HEAD: usize = 256 << 10;
/// Bytes read at the end.
const TAIL: usize = 64 << 10;

/// What the checks learnt about a usable file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checked {
    /// FNV-1a over the size, the first [`TAIL`] and the last [`TAIL`] bytes: equal for copies.
    pub fingerprint: u64,
    /// Image width and height.
    pub dims: Option<(u32, u32)>,
    /// Sound duration from a WAV header, in seconds.
    pub seconds: Option<f64>,
}

fn fnv(data: &[&[u8]]) -> u64 {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    data.iter().for_each(|part| h.write(part));
    h.finish()
}

/// Head, tail and total length of an entry (streamed whole for archive members).
fn head_tail(e: &Entry) -> Result<(Vec<u8>, Vec<u8>, u64), String> {
    if e.archive.is_none() {
        if let Some(r) = source::head_and_tail(&e.path, HEAD, TAIL) {
            return r
                .map(|h| (h.head, h.tail, h.len))
                .map_err(|err| format!("cannot read it: {err}"));
        }
    }
    let all = source::read(&e.path).map_err(|err| format!("cannot read it: {err}"))?;
    let len = all.len() as u64;
    let head = all[..all.len().min(HEAD)].to_vec();
    let tail = all[all.len().min(HEAD).max(all.len().saturating_sub(TAIL))..].to_vec();
    Ok((head, tail, len))
}

/// The last `n` bytes of the file given its head and tail.
fn last_bytes(head: &[u8], tail: &[u8], n: usize) -> Vec<u8> {
    let from_head = n.saturating_sub(tail.len()).min(head.len());
    let mut out = head[head.len() - from_head..].to_vec();
    out.extend_from_slice(&tail[tail.len().saturating_sub(n)..]);
    out
}

fn fingerprint(head: &[u8], tail: &[u8], len: u64) -> u64 {
    let end = last_bytes(head, tail, TAIL);
    fnv(&[&len.to_le_bytes(), &head[..head.len().min(TAIL)], &end])
}

/// Parses a WAV header: the duration, or why the file is cut short.
fn wav_seconds(head: &[u8], len: u64) -> Result<Option<f64>, String> {
    if head.len() < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Ok(None); // not RIFF/WAVE (the decoder will say what it is)
    }
    let (mut pos, mut rate, mut frame) = (12usize, 0u32, 0u32);
    while pos + 8 <= head.len() {
        let id = &head[pos..pos + 4];
        let size = u32::from_le_bytes([head[pos + 4], head[pos + 5], head[pos + 6], head[pos + 7]]);
        let body = pos as u64 + 8;
        if id == b"fmt " && pos + 24 <= head.len() {
            rate = u32::from_le_bytes([
                head[pos + 12],
                head[pos + 13],
                head[pos + 14],
                head[pos + 15],
            ]);
            frame = u32::from(u16::from_le_bytes([head[pos + 20], head[pos + 21]]));
        } else if id == b"data" {
            if size != u32::MAX && body + u64::from(size) > len {
                return Err(format!(
                    "truncated WAV: the data chunk declares {size} bytes but the file holds {}",
                    len.saturating_sub(body)
                ));
            }
            let bytes = if size == u32::MAX {
                len - body
            } else {
                u64::from(size)
            };
            return Ok(
                (rate > 0 && frame > 0).then(|| bytes as f64 / f64::from(frame) / f64::from(rate))
            );
        }
        pos = (body + u64::from(size) + u64::from(size & 1)) as usize;
        if pos as u64 > len {
            return Err(format!(
                "truncated WAV: a {:?} chunk runs past the end",
                String::from_utf8_lossy(id)
            ));
        }
    }
    if (pos as u64) >= len {
        return Err("truncated WAV: no data chunk".into());
    }
    Ok(None)
}

/// Checks a sound entry.
pub fn sound(e: &Entry) -> Result<Checked, String> {
    let (head, tail, len) = head_tail(e)?;
    if len == 0 {
        return Err("empty file".into());
    }
    let seconds = wav_seconds(&head, len)?;
    Ok(Checked {
        fingerprint: fingerprint(&head, &tail, len),
        dims: None,
        seconds,
    })
}

/// Checks an image entry.
pub fn image(e: &Entry) -> Result<Checked, String> {
    let (head, tail, len) = head_tail(e)?;
    if len == 0 {
        return Err("empty file".into());
    }
    let reader = image::ImageReader::new(std::io::Cursor::new(&head))
        .with_guessed_format()
        .map_err(|err| err.to_string())?;
    let format = reader.format().ok_or("not an image (unknown format)")?;
    let dims = reader
        .into_dimensions()
        .map_err(|err| format!("undecodable image header: {err}"))?;
    let end = last_bytes(&head, &tail, TAIL);
    let complete = match format {
        image::ImageFormat::Jpeg => end.windows(2).any(|w| w == [0xff, 0xd9]),
        image::ImageFormat::Png => end.windows(4).any(|w| w == b"IEND"),
        image::ImageFormat::WebP => {
            head.len() >= 8
                && u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]])) + 8 <= len
        }
        _ => true,
    };
    if !complete {
        return Err(format!(
            "truncated {format:?} image: its end marker is missing"
        ));
    }
    Ok(Checked {
        fingerprint: fingerprint(&head, &tail, len),
        dims: Some(dims),
        seconds: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(data_len: u32, actual: usize) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&[1, 0, 1, 0]);
        b.extend_from_slice(&16_000u32.to_le_bytes());
        b.extend_from_slice(&32_000u32.to_le_bytes());
        b.extend_from_slice(&[2, 0, 16, 0]);
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data_len.to_le_bytes());
        b.resize(b.len() + actual, 0);
        b
    }

    #[test]
    fn wav_headers_give_duration_or_truncation() {
        let w = wav(32_000, 32_000);
        assert_eq!(wav_seconds(&w, w.len() as u64).unwrap(), Some(1.0));
        let w = wav(32_000, 1_000);
        assert!(wav_seconds(&w, w.len() as u64)
            .unwrap_err()
            .contains("truncated"));
        assert_eq!(wav_seconds(b"OggS....", 8).unwrap(), None);
        assert_eq!(last_bytes(b"abc", b"de", 3), b"cde");
    }
}
