//! The reference-sound companion file, `<index>.sounds`: one short recording per class (where a
//! recording's licence allows it to be shipped), kept out of the index so that the page answers
//! before they arrive (it fetches them lazily, like the photos).
//!
//! Input: the file's bytes. Output: a [`SoundSet`] (reader everywhere, never panics; writer
//! native). The page's own reader is `www/sounds.js`; both follow this layout (little-endian):
//!
//! | offset | size | field                                                             |
//! |--------|------|-------------------------------------------------------------------|
//! | 0      | 8    | magic `SORISND\0`                                                 |
//! | 8      | 4    | format version, u32 (= [`SOUNDS_VERSION`])                        |
//! | 12     | 4    | body length `n`, u32                                              |
//! | 16     | 4    | CRC-32 (IEEE) of the body                                         |
//! | 20     | n    | body: u16 count; per sound: str slug, str mime, str licence, str credit, str source, u32 start (ms), u32 duration (ms), blob bytes |
//!
//! `str` and `blob` are a u32 byte length and the bytes (`str` is UTF-8). Sounds are in class
//! order, at most one per class. `mime` is one of [`SOUND_MIMES`].

use super::format::{Companion, Cursor};
use super::IndexError;

/// The 8 bytes every sounds file starts with.
pub const SOUNDS_MAGIC: [u8; 8] = *b"SORISND\0";
/// The version this crate reads and writes.
pub const SOUNDS_VERSION: u32 = 1;
/// The file's envelope (magic, version, length, checksum).
const SOUNDS_FILE: Companion = Companion {
    magic: SOUNDS_MAGIC,
    version: SOUNDS_VERSION,
    file: "sounds file",
    section: "sounds",
    header: "sounds header",
};
/// Audio types a sounds file may hold.
pub const SOUND_MIMES: [&str; 1] = ["audio/ogg"];

/// The reference sound of one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSound {
    /// The class's slug.
    pub slug: String,
    /// `audio/ogg` (Ogg Vorbis, mono).
    pub mime: String,
    /// The licence it is shipped under, as a short name (e.g. `CC BY 3.0`).
    pub licence: String,
    /// Who made the recording (shown with it).
    pub credit: String,
    /// Which recording it was cut from (the manifest's path or recording id).
    pub source: String,
    /// Where the excerpt starts in the source clip, in milliseconds.
    pub start_ms: u32,
    /// How long the excerpt is, in milliseconds.
    pub duration_ms: u32,
    /// The encoded sound.
    pub bytes: Vec<u8>,
}

/// All reference sounds of an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoundSet {
    /// The sounds, in class order.
    pub sounds: Vec<ClassSound>,
}

impl SoundSet {
    /// Reads a sounds file: magic, version, length and checksum first, then the sounds.
    pub fn from_bytes(bytes: &[u8]) -> Result<SoundSet, IndexError> {
        let body = SOUNDS_FILE.open(bytes)?;
        let mut c = Cursor::new(body, "sounds");
        let count = c.count_u16(6 * 4 + 2 * 4)?;
        let mut sounds = Vec::with_capacity(count);
        for _ in 0..count {
            let s = ClassSound {
                slug: c.str()?,
                mime: c.str()?,
                licence: c.str()?,
                credit: c.str()?,
                source: c.str()?,
                start_ms: c.u32()?,
                duration_ms: c.u32()?,
                bytes: c.blob()?.to_vec(),
            };
            if !SOUND_MIMES.contains(&s.mime.as_str()) {
                return Err(IndexError::Corrupt(format!(
                    "sound of {} has unsupported type {:?}",
                    s.slug, s.mime
                )));
            }
            if sounds.iter().any(|o: &ClassSound| o.slug == s.slug) {
                return Err(IndexError::Corrupt(format!(
                    "two sounds for the class {}",
                    s.slug
                )));
            }
            sounds.push(s);
        }
        c.finish()?;
        Ok(SoundSet { sounds })
    }

    /// Encodes the set (at most 65 535 sounds are written).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn to_bytes(&self) -> Vec<u8> {
        use super::format::{put_blob, put_str, put_u16, put_u32};
        let sounds = &self.sounds[..self.sounds.len().min(usize::from(u16::MAX))];
        let mut body = Vec::new();
        put_u16(&mut body, sounds.len() as u16);
        for s in sounds {
            put_str(&mut body, &s.slug);
            put_str(&mut body, &s.mime);
            put_str(&mut body, &s.licence);
            put_str(&mut body, &s.credit);
            put_str(&mut body, &s.source);
            put_u32(&mut body, s.start_ms);
            put_u32(&mut body, s.duration_ms);
            put_blob(&mut body, &s.bytes);
        }
        SOUNDS_FILE.seal(&body)
    }

    /// Bytes of audio data, all sounds together.
    pub fn audio_bytes(&self) -> usize {
        self.sounds.iter().map(|s| s.bytes.len()).sum()
    }

    /// The sound of a class, if it has one.
    pub fn get(&self, slug: &str) -> Option<&ClassSound> {
        self.sounds.iter().find(|s| s.slug == slug)
    }

    /// One line: how many sounds, how many bytes of audio, the largest.
    pub fn describe(&self) -> String {
        format!(
            "{} reference sounds, {} bytes of audio (largest {} bytes)",
            self.sounds.len(),
            self.audio_bytes(),
            self.sounds.iter().map(|s| s.bytes.len()).max().unwrap_or(0)
        )
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn set() -> SoundSet {
        SoundSet {
            sounds: vec![
                ClassSound {
                    slug: "boiling".into(),
                    mime: "audio/ogg".into(),
                    licence: "CC0".into(),
                    credit: "이 사람".into(),
                    source: "audio/x/1.ogg".into(),
                    start_ms: 1200,
                    duration_ms: 3000,
                    bytes: vec![1, 2, 3],
                },
                ClassSound {
                    slug: "kettle".into(),
                    mime: "audio/ogg".into(),
                    licence: "CC BY 3.0".into(),
                    credit: String::new(),
                    source: "k".into(),
                    start_ms: 0,
                    duration_ms: 2500,
                    bytes: vec![9; 40],
                },
            ],
        }
    }

    #[test]
    fn round_trip_and_every_damage_is_refused() {
        let set = set();
        let bytes = set.to_bytes();
        assert_eq!(SoundSet::from_bytes(&bytes).unwrap(), set);
        assert_eq!(set.audio_bytes(), 43);
        assert_eq!(set.get("kettle").unwrap().licence, "CC BY 3.0");
        assert!(set.get("dog").is_none());
        for cut in 0..bytes.len() {
            assert!(
                SoundSet::from_bytes(&bytes[..cut]).is_err(),
                "truncated at {cut}"
            );
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x20;
            assert!(SoundSet::from_bytes(&b).is_err(), "flipped byte {i}");
        }
    }

    #[test]
    fn wrong_version_type_and_duplicates_are_refused_by_name() {
        let mut bytes = set().to_bytes();
        bytes[8] = 2;
        assert_eq!(
            SoundSet::from_bytes(&bytes),
            Err(IndexError::UnsupportedVersion {
                found: 2,
                expected: SOUNDS_VERSION
            })
        );
        let mut odd = set();
        odd.sounds[1].mime = "audio/wav".into();
        let err = SoundSet::from_bytes(&odd.to_bytes()).unwrap_err();
        assert!(err.to_string().contains("unsupported type"), "{err}");
        let mut twice = set();
        twice.sounds[1].slug = "boiling".into();
        let err = SoundSet::from_bytes(&twice.to_bytes()).unwrap_err();
        assert!(err.to_string().contains("two sounds"), "{err}");
        assert!(SoundSet::from_bytes(b"SORIPHO\0").is_err());
        assert_eq!(
            SoundSet::from_bytes(&SoundSet::default().to_bytes()).unwrap(),
            SoundSet::default()
        );
    }
}
