//! The photo companion file, `<index>.photos`: real photos of the classes, kept out of the index
//! so that the page answers before they arrive (it fetches them after it is ready).
//!
//! Input: the file's bytes. Output: a [`PhotoSet`] (reader everywhere, never panics; writer
//! native). The page's own reader is `www/photos.js`; both follow this layout (little-endian):
//!
//! | offset | size | field                                                             |
//! |--------|------|-------------------------------------------------------------------|
//! | 0      | 8    | magic `SORIPHO\0`                                                 |
//! | 8      | 4    | format version, u32 (= [`PHOTOS_VERSION`])                        |
//! | 12     | 4    | body length `n`, u32                                              |
//! | 16     | 4    | CRC-32 (IEEE) of the body                                         |
//! | 20     | n    | body: str credit, u16 count; per photo: str slug, str caption, str mime, blob bytes |
//!
//! `str` and `blob` are a u32 byte length and the bytes (`str` is UTF-8). Photos are in class
//! order, the most representative first within a class.

use super::format::{Companion, Cursor, IMAGE_MIMES};
use super::IndexError;

/// The 8 bytes every photo file starts with.
pub const PHOTOS_MAGIC: [u8; 8] = *b"SORIPHO\0";
/// The version this crate reads and writes.
pub const PHOTOS_VERSION: u32 = 1;
/// The file's envelope (magic, version, length, checksum).
const PHOTOS_FILE: Companion = Companion {
    magic: PHOTOS_MAGIC,
    version: PHOTOS_VERSION,
    file: "photo file",
    section: "photos",
    header: "photos header",
};

/// One photo of a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassPhoto {
    /// The class's slug.
    pub slug: String,
    /// What it shows, e.g. the sub-class (`국 끓이기`); may be empty.
    pub caption: String,
    /// `image/jpeg` (any of [`IMAGE_MIMES`]).
    pub mime: String,
    /// The encoded image.
    pub bytes: Vec<u8>,
}

/// All photos of an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoSet {
    /// Where the photos come from (shown with them).
    pub credit: String,
    /// The photos, grouped by class.
    pub photos: Vec<ClassPhoto>,
}

impl PhotoSet {
    /// Reads a photo file: magic, version, length and checksum first, then the photos.
    pub fn from_bytes(bytes: &[u8]) -> Result<PhotoSet, IndexError> {
        let body = PHOTOS_FILE.open(bytes)?;
        let mut c = Cursor::new(body, "photos");
        let credit = c.str()?;
        let count = c.count_u16(4 * 4)?;
        let mut photos = Vec::with_capacity(count);
        for _ in 0..count {
            let p = ClassPhoto {
                slug: c.str()?,
                caption: c.str()?,
                mime: c.str()?,
                bytes: c.blob()?.to_vec(),
            };
            if !IMAGE_MIMES.contains(&p.mime.as_str()) {
                return Err(IndexError::Corrupt(format!(
                    "photo of {} has unsupported type {:?}",
                    p.slug, p.mime
                )));
            }
            photos.push(p);
        }
        c.finish()?;
        Ok(PhotoSet { credit, photos })
    }

    /// Encodes the set (at most 65 535 photos are written).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn to_bytes(&self) -> Vec<u8> {
        use super::format::{put_blob, put_str, put_u16};
        let photos = &self.photos[..self.photos.len().min(usize::from(u16::MAX))];
        let mut body = Vec::new();
        put_str(&mut body, &self.credit);
        put_u16(&mut body, photos.len() as u16);
        for p in photos {
            put_str(&mut body, &p.slug);
            put_str(&mut body, &p.caption);
            put_str(&mut body, &p.mime);
            put_blob(&mut body, &p.bytes);
        }
        PHOTOS_FILE.seal(&body)
    }

    /// Bytes of image data, all photos together.
    pub fn image_bytes(&self) -> usize {
        self.photos.iter().map(|p| p.bytes.len()).sum()
    }

    /// One line: how many photos, how many bytes of images, the credit.
    pub fn describe(&self) -> String {
        format!(
            "{} photos, {} bytes of images; credit: {}",
            self.photos.len(),
            self.image_bytes(),
            self.credit
        )
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_damage_is_refused() {
        let set = PhotoSet {
            credit: "AI-Hub".into(),
            photos: vec![
                ClassPhoto {
                    slug: "boiling".into(),
                    caption: "국 끓이기".into(),
                    mime: "image/jpeg".into(),
                    bytes: vec![1, 2, 3],
                },
                ClassPhoto {
                    slug: "kettle".into(),
                    caption: String::new(),
                    mime: "image/png".into(),
                    bytes: vec![9; 40],
                },
            ],
        };
        let bytes = set.to_bytes();
        assert_eq!(PhotoSet::from_bytes(&bytes).unwrap(), set);
        assert_eq!(set.image_bytes(), 43);
        for cut in 0..bytes.len() {
            assert!(
                PhotoSet::from_bytes(&bytes[..cut]).is_err(),
                "truncated at {cut}"
            );
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x20;
            assert!(PhotoSet::from_bytes(&b).is_err(), "flipped byte {i}");
        }
    }
}
