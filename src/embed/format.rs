//! What every Sori model file shares (see [`super::efficientat`] for mn04's): a magic, a format
//! version and a record count, then the records, then a CRC-32 of everything before it.
//! [`parse_records`] checks that envelope and hands each record to the model's own reader;
//! [`quantise_max`] is the int8 quantiser of the encoders.
//!
//! Parsing never panics: every read is bounds-checked.

use super::EmbedError;

/// Bounds-checked little-endian reader over a model file's records.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, section: &str) -> Result<&'a [u8], EmbedError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(EmbedError::Truncated {
                section: section.to_string(),
            }),
        }
    }

    pub(crate) fn u32(&mut self, section: &str) -> Result<u32, EmbedError> {
        let b = self.take(4, section)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `n` little-endian `f32`s (not checked for finiteness).
    pub(crate) fn floats(&mut self, n: usize, section: &str) -> Result<Vec<f32>, EmbedError> {
        let b = self.take(n.saturating_mul(4), section)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

/// A Sori model file whose magic, version and record count were checked: a reader over the
/// records (the bytes before the CRC) and the stored and computed CRC-32.
struct Envelope<'a> {
    records: Reader<'a>,
    stored: u32,
    computed: u32,
}

impl<'a> Envelope<'a> {
    /// Checks `bytes` starts with `magic`, then `version` and `records` as `u32`, and splits off
    /// the CRC-32 at the end (`model` names the model in errors).
    fn open(
        bytes: &'a [u8],
        (magic, version): (&[u8; 8], u32),
        records: usize,
        model: &str,
    ) -> Result<Envelope<'a>, EmbedError> {
        if bytes.len() < magic.len() || &bytes[..magic.len()] != magic {
            return Err(if bytes.len() < magic.len() && magic.starts_with(bytes) {
                EmbedError::Truncated {
                    section: "magic".into(),
                }
            } else {
                EmbedError::BadMagic
            });
        }
        let mut r = Reader {
            bytes,
            pos: magic.len(),
        };
        let found = r.u32("header")?;
        if found != version {
            return Err(EmbedError::UnsupportedVersion {
                found,
                expected: version,
            });
        }
        let count = r.u32("header")? as usize;
        if count != records {
            return Err(EmbedError::InvalidModel(format!(
                "{count} layer records, {model} has {records}"
            )));
        }
        // The CRC covers everything before the last 4 bytes; check it before trusting the records.
        if bytes.len() < r.pos + 4 {
            return Err(EmbedError::Truncated {
                section: "checksum".into(),
            });
        }
        let body_len = bytes.len() - 4;
        let tail = &bytes[body_len..];
        Ok(Envelope {
            stored: u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]),
            computed: crc32fast::hash(&bytes[..body_len]),
            records: Reader {
                bytes: &bytes[..body_len],
                pos: r.pos,
            },
        })
    }

    /// The result of reading the records: a truncation is reported as such, any other problem
    /// of a file whose CRC does not match as the checksum mismatch; then the CRC and that every
    /// byte was read are checked.
    fn finish<T>(self, parsed: Result<T, EmbedError>) -> Result<T, EmbedError> {
        let (stored, computed) = (self.stored, self.computed);
        // A truncated file usually also fails the CRC; report the checksum only when the records parsed.
        let parsed = match parsed {
            Ok(l) => l,
            Err(e) if stored != computed && !matches!(e, EmbedError::Truncated { .. }) => {
                return Err(EmbedError::ChecksumMismatch { stored, computed })
            }
            Err(e) => return Err(e),
        };
        if stored != computed {
            return Err(EmbedError::ChecksumMismatch { stored, computed });
        }
        let r = &self.records;
        if r.pos != r.bytes.len() {
            return Err(EmbedError::InvalidModel(format!(
                "{} unexpected bytes after the last layer",
                r.bytes.len() - r.pos
            )));
        }
        Ok(parsed)
    }
}

/// Parses a Sori model file: [`Envelope::open`], then `read(reader, i, spec)` for each of
/// `specs` in order, then [`Envelope::finish`].
pub(crate) fn parse_records<S, T>(
    bytes: &[u8],
    magic_version: (&[u8; 8], u32),
    specs: &[S],
    model: &str,
    mut read: impl FnMut(&mut Reader<'_>, usize, &S) -> Result<T, EmbedError>,
) -> Result<Vec<T>, EmbedError> {
    let mut env = Envelope::open(bytes, magic_version, specs.len(), model)?;
    let records = specs
        .iter()
        .enumerate()
        .map(|(i, want)| read(&mut env.records, i, want))
        .collect::<Result<Vec<_>, _>>();
    env.finish(records)
}

/// Symmetric int8 per output channel (`channels` = the last axis of `weights`), scale
/// `max |w| / 127` (1 for an all-zero channel): returns the scales and the `i8` values as bytes.
pub(crate) fn quantise_max(weights: &[f32], channels: usize) -> (Vec<f32>, Vec<u8>) {
    let mut scale = vec![0f32; channels];
    for (k, w) in weights.iter().enumerate() {
        scale[k % channels] = scale[k % channels].max(w.abs() / 127.0);
    }
    scale
        .iter_mut()
        .filter(|s| **s == 0.0)
        .for_each(|s| *s = 1.0);
    let q = weights
        .iter()
        .enumerate()
        .map(|(k, w)| (w / scale[k % channels]).round().clamp(-127.0, 127.0) as i8 as u8)
        .collect();
    (scale, q)
}
