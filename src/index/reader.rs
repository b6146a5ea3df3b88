//! The index reader (native and wasm): checked header -> decoded sections -> [`Index`].
//!
//! Every length is bounded by the bytes that remain (see [`format::Cursor`]), every
//! section must be read to its last byte, and the result is [`Index::validate`]d.

use super::format::{self, Cursor};
use super::{ClassImage, Index, IndexClass, IndexError, SubClass};
use crate::fingerprint::{FingerprintRecording, FingerprintTable, HashEntry};
use crate::matcher::{Coverage, Exemplars, Head, ZeroShot, ZeroShotRule};
use crate::taxonomy::ClassInfo;

/// Decodes a whole index; see [`Index::from_bytes`].
pub(super) fn read(bytes: &[u8]) -> Result<Index, IndexError> {
    let header = format::read_header(bytes)?;
    let section = |tag: [u8; 4]| -> Result<&[u8], IndexError> {
        let mut found = header.sections.iter().filter(|s| s.tag == tag);
        match (found.next(), found.next()) {
            (Some(s), None) => Ok(&bytes[s.offset as usize..s.offset as usize + s.length as usize]),
            (None, _) => Err(IndexError::Corrupt(format!(
                "the {} section is missing",
                format::section_name(tag)
            ))),
            (Some(_), Some(_)) => Err(IndexError::Corrupt(format!(
                "the {} section appears twice",
                format::section_name(tag)
            ))),
        }
    };
    let mut classes = read_classes(section(format::TAG_CLASSES)?)?;
    read_images(section(format::TAG_IMAGES)?, &mut classes)?;
    let head = read_head(section(format::TAG_HEAD)?)?;
    let zero_shot = read_zero_shot(section(format::TAG_ZERO_SHOT)?)?;
    let exemplars = read_exemplars(section(format::TAG_EXEMPLARS)?)?;
    let fingerprints = read_fingerprints(section(format::TAG_FINGERPRINTS)?)?;
    let mut info = Cursor::new(section(format::TAG_INFO)?, "info");
    let model_id = info.str()?;
    let build_info = info.str()?;
    info.finish()?;
    let subclasses = match header
        .sections
        .iter()
        .any(|s| s.tag == format::TAG_SUBCLASSES)
    {
        true => read_subclasses(section(format::TAG_SUBCLASSES)?)?,
        false => Vec::new(),
    };
    let has = |tag: [u8; 4]| header.sections.iter().any(|s| s.tag == tag);
    let teach_negatives = if has(format::TAG_TEACH_NEGATIVES) {
        read_teach_negatives(section(format::TAG_TEACH_NEGATIVES)?)?
    } else {
        Default::default()
    };
    let taught = if has(format::TAG_TAUGHT) {
        Some(
            crate::teach::Pack::from_bytes(section(format::TAG_TAUGHT)?)
                .map_err(|e| IndexError::Corrupt(format!("its taught classes: {e}")))?,
        )
    } else {
        None
    };
    let index = Index {
        teach_negatives,
        taught,
        feature_hash: header.feature_hash,
        model_id,
        classes,
        head,
        zero_shot,
        exemplars,
        fingerprints,
        build_info,
        subclasses,
    };
    index.validate()?;
    Ok(index)
}

fn read_teach_negatives(data: &[u8]) -> Result<crate::teach::Negatives, IndexError> {
    let mut c = Cursor::new(data, "teaching negatives");
    let k = c.u32()? as usize;
    let d = c.u32()? as usize;
    let n = c.count_u32(2 + 4 + 4)?;
    let outputs = c.u16s(n)?;
    let logit_scales = c.f32s(n)?;
    let sketch_scales = c.f32s(n)?;
    let too_big = || IndexError::Truncated {
        section: "teaching negatives".into(),
    };
    let logits = read_int8_rows(
        c.take(n.checked_mul(k).ok_or_else(too_big)?)?,
        k,
        &logit_scales,
    )?;
    let sketches = read_int8_rows(
        c.take(n.checked_mul(d).ok_or_else(too_big)?)?,
        d,
        &sketch_scales,
    )?;
    c.finish()?;
    if n > 0 && (k == 0 || d != crate::teach::learn::SKETCH_DIM) {
        return Err(IndexError::Corrupt(format!(
            "teaching negatives of {k} outputs and sketches of {d} values"
        )));
    }
    Ok(crate::teach::Negatives {
        outputs,
        logits,
        sketches,
        x: Vec::new(),
    })
}

/// int8 rows of `dim` values with one scale each, which must be in the writer's canonical form.
fn read_int8_rows(q: &[u8], dim: usize, scales: &[f32]) -> Result<Vec<f32>, IndexError> {
    let mut out = Vec::with_capacity(q.len());
    if dim == 0 {
        return Ok(out);
    }
    let mut requantised = Vec::with_capacity(dim);
    for (i, (row, s)) in q.chunks_exact(dim).zip(scales).enumerate() {
        let start = out.len();
        out.extend(row.iter().map(|&b| f32::from(b as i8) * s));
        requantised.clear();
        let again = format::put_int8(&mut requantised, &out[start..]);
        if again.to_bits() != s.to_bits() || requantised != row {
            return Err(IndexError::Corrupt(format!(
                "teaching negative {i} is not in canonical int8 form"
            )));
        }
    }
    Ok(out)
}

fn read_subclasses(data: &[u8]) -> Result<Vec<SubClass>, IndexError> {
    let mut c = Cursor::new(data, "sub-classes");
    let n = c.count_u16(2 + 4 + 8)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(SubClass {
            class_id: c.u16()?,
            name: c.str()?,
            sounds: c.u32()?,
            images: c.u32()?,
        });
    }
    c.finish()?;
    Ok(out)
}

fn read_classes(data: &[u8]) -> Result<Vec<IndexClass>, IndexError> {
    let mut c = Cursor::new(data, "classes");
    // Smallest class record: id + five empty strings + coverage + two counts.
    let n = c.count_u16(2 + 5 * 4 + 1 + 8)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let id = c.u16()?;
        let info = ClassInfo {
            id,
            slug: c.str()?,
            category: c.str()?,
            category_ko: c.str()?,
            name_ko: c.str()?,
            name_en: c.str()?,
        };
        let coverage = match c.u8()? {
            0 => Coverage::Trained,
            1 => Coverage::ZeroShot,
            2 => Coverage::None,
            3 => Coverage::TrainedFew,
            x => {
                return Err(IndexError::Corrupt(format!(
                    "class {id} has unknown coverage code {x}"
                )))
            }
        };
        out.push(IndexClass {
            info,
            coverage,
            clips: c.u32()?,
            recordings: c.u32()?,
            image: None,
        });
    }
    c.finish()?;
    Ok(out)
}

fn read_images(data: &[u8], classes: &mut [IndexClass]) -> Result<(), IndexError> {
    let mut c = Cursor::new(data, "images");
    let n = c.count_u16(2 + 3 * 4)?;
    for _ in 0..n {
        let id = c.u16()?;
        let image = ClassImage {
            mime: c.str()?,
            credit: c.str()?,
            bytes: c.blob()?.to_vec(),
        };
        let Some(class) = classes.iter_mut().find(|k| k.info.id == id) else {
            return Err(IndexError::Corrupt(format!(
                "image for unknown class id {id}"
            )));
        };
        if class.image.replace(image).is_some() {
            return Err(IndexError::Corrupt(format!("class id {id} has two images")));
        }
    }
    c.finish()
}

fn read_head(data: &[u8]) -> Result<Head, IndexError> {
    let mut c = Cursor::new(data, "head");
    let input_dim = c.u32()?;
    let k = c.count_u32(2 + 4)?;
    let outputs = c.u16s(k)?;
    let unknown_threshold = c.f32()?;
    let maybe_threshold = c.f32()?;
    let bias = c.f32s(k)?;
    let n = k
        .checked_mul(input_dim as usize)
        .ok_or_else(|| IndexError::Truncated {
            section: "head".into(),
        })?;
    c.check_count(n, 2)?;
    let weights = c.f16s(n)?;
    c.finish()?;
    Ok(Head {
        input_dim,
        outputs,
        weights,
        bias,
        unknown_threshold,
        maybe_threshold,
    })
}

fn read_zero_shot(data: &[u8]) -> Result<ZeroShot, IndexError> {
    let mut c = Cursor::new(data, "zero-shot");
    let threshold = c.f32()?;
    let n = c.count_u16(4)?;
    let mut rules = Vec::with_capacity(n);
    for _ in 0..n {
        let class_id = c.u16()?;
        let m = usize::from(c.u16()?);
        rules.push(ZeroShotRule {
            class_id,
            labels: c.u16s(m)?,
        });
    }
    c.finish()?;
    Ok(ZeroShot { rules, threshold })
}

fn read_exemplars(data: &[u8]) -> Result<Exemplars, IndexError> {
    let mut c = Cursor::new(data, "exemplars");
    let dim = c.u32()?;
    let n = c.count_u32(2 + 4)?;
    let class_ids = c.u16s(n)?;
    let scales = c.f32s(n)?;
    let total = n
        .checked_mul(dim as usize)
        .ok_or_else(|| IndexError::Truncated {
            section: "exemplars".into(),
        })?;
    let q = c.take(total)?;
    c.finish()?;
    let mut vectors = Vec::with_capacity(total);
    if dim > 0 {
        let mut requantised = Vec::with_capacity(dim as usize);
        for (i, (row, s)) in q.chunks_exact(dim as usize).zip(&scales).enumerate() {
            let start = vectors.len();
            vectors.extend(row.iter().map(|&b| f32::from(b as i8) * s));
            // The writer's quantiser is a fixed point on its own output; anything else was not
            // written by it (and would not survive a re-encoding unchanged).
            requantised.clear();
            let again = format::put_int8(&mut requantised, &vectors[start..]);
            if again.to_bits() != s.to_bits() || requantised != row {
                return Err(IndexError::Corrupt(format!(
                    "exemplar {i} is not in canonical int8 form (scale {s:e})"
                )));
            }
        }
    }
    Ok(Exemplars {
        dim,
        class_ids,
        vectors,
    })
}

fn read_fingerprints(data: &[u8]) -> Result<FingerprintTable, IndexError> {
    let mut c = Cursor::new(data, "fingerprints");
    let n = c.count_u16(2 + 4)?;
    let mut recordings = Vec::with_capacity(n);
    for _ in 0..n {
        let class_id = c.u16()?;
        recordings.push(FingerprintRecording {
            class_id,
            name: c.str()?,
        });
    }
    let m = c.count_u32(3)?;
    let mut entries = Vec::with_capacity(m);
    let mut hash = 0u32;
    for i in 0..m {
        let delta = c.varint()?;
        hash = hash
            .checked_add(delta)
            .ok_or_else(|| IndexError::Corrupt(format!("fingerprint hash {i} overflows")))?;
        let recording = u16::try_from(c.varint()?).map_err(|_| {
            IndexError::Corrupt(format!(
                "fingerprint entry {i} has a recording index over 65535"
            ))
        })?;
        let time = u16::try_from(c.varint()?).map_err(|_| {
            IndexError::Corrupt(format!("fingerprint entry {i} has a time over 65535"))
        })?;
        entries.push(HashEntry {
            hash,
            recording,
            time,
        });
    }
    c.finish()?;
    Ok(FingerprintTable {
        recordings,
        entries,
    })
}
