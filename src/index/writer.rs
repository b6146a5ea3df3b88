//! The index writer (native only): [`Index`] -> version-1 bytes, deterministic, plus a
//! measurement of what the writer's quantisation costs.
//!
//! Head weights become fp16, exemplar vectors int8 with a per-vector scale, fingerprint
//! entries delta-coded varints (see [`super::format`]).

use super::format::{
    self, put_blob, put_f32, put_int8, put_str, put_u16, put_u32, put_varint, through_f16,
};
use super::Index;
use crate::matcher::Coverage;

impl Index {
    /// Encodes the index as format version 1 (see [`super::format`]). Deterministic: the
    /// same index always gives the same bytes, and re-encoding a decoded index gives the
    /// bytes it was decoded from. Fingerprint entries are written sorted.
    ///
    /// Only an index that passes [`Index::validate`] is guaranteed to read back; counts
    /// beyond the format's limits (65 535 classes, rules or recordings) are cut.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut sections: Vec<([u8; 4], Vec<u8>)> = vec![
            (format::TAG_CLASSES, self.classes_section()),
            (format::TAG_IMAGES, self.images_section()),
            (format::TAG_HEAD, self.head_section()),
            (format::TAG_ZERO_SHOT, self.zero_shot_section()),
            (format::TAG_EXEMPLARS, self.exemplars_section()),
            (format::TAG_FINGERPRINTS, self.fingerprints_section()),
            (format::TAG_INFO, {
                let mut b = Vec::new();
                put_str(&mut b, &self.model_id);
                put_str(&mut b, &self.build_info);
                b
            }),
        ];
        if !self.subclasses.is_empty() {
            sections.push((format::TAG_SUBCLASSES, self.subclasses_section()));
        }
        if !self.teach_negatives.outputs.is_empty() {
            sections.push((format::TAG_TEACH_NEGATIVES, self.teach_negatives_section()));
        }
        if let Some(pack) = &self.taught {
            sections.push((format::TAG_TAUGHT, pack.to_bytes()));
        }
        let mut out = Vec::new();
        out.extend_from_slice(&format::MAGIC);
        put_u32(&mut out, format::FORMAT_VERSION);
        out.extend_from_slice(&self.feature_hash.to_le_bytes());
        put_u32(&mut out, sections.len() as u32);
        let mut offset = (format::FIXED_HEADER + format::DIR_ENTRY * sections.len() + 4) as u32;
        for (tag, data) in &sections {
            out.extend_from_slice(tag);
            put_u32(&mut out, offset);
            put_u32(&mut out, data.len() as u32);
            put_u32(&mut out, crc32fast::hash(data));
            offset += data.len() as u32;
        }
        let crc = crc32fast::hash(&out);
        put_u32(&mut out, crc);
        for (_, data) in &sections {
            out.extend_from_slice(data);
        }
        out
    }

    fn classes_section(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let classes = &self.classes[..self.classes.len().min(usize::from(u16::MAX))];
        put_u16(&mut b, classes.len() as u16);
        for c in classes {
            put_u16(&mut b, c.info.id);
            for s in [
                &c.info.slug,
                &c.info.category,
                &c.info.category_ko,
                &c.info.name_ko,
                &c.info.name_en,
            ] {
                put_str(&mut b, s);
            }
            b.push(match c.coverage {
                Coverage::Trained => 0,
                Coverage::ZeroShot => 1,
                Coverage::None => 2,
                Coverage::TrainedFew => 3,
            });
            put_u32(&mut b, c.clips);
            put_u32(&mut b, c.recordings);
        }
        b
    }

    fn subclasses_section(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let subs = &self.subclasses[..self.subclasses.len().min(usize::from(u16::MAX))];
        put_u16(&mut b, subs.len() as u16);
        for s in subs {
            put_u16(&mut b, s.class_id);
            put_str(&mut b, &s.name);
            put_u32(&mut b, s.sounds);
            put_u32(&mut b, s.images);
        }
        b
    }

    fn images_section(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let with: Vec<_> = self
            .classes
            .iter()
            .filter_map(|c| c.image.as_ref().map(|i| (c.info.id, i)))
            .collect();
        let with = &with[..with.len().min(usize::from(u16::MAX))];
        put_u16(&mut b, with.len() as u16);
        for (id, img) in with {
            put_u16(&mut b, *id);
            put_str(&mut b, &img.mime);
            put_str(&mut b, &img.credit);
            put_blob(&mut b, &img.bytes);
        }
        b
    }

    fn head_section(&self) -> Vec<u8> {
        let h = &self.head;
        let mut b = Vec::new();
        put_u32(&mut b, h.input_dim);
        put_u32(&mut b, h.outputs.len() as u32);
        h.outputs.iter().for_each(|&o| put_u16(&mut b, o));
        put_f32(&mut b, h.unknown_threshold);
        put_f32(&mut b, h.maybe_threshold);
        h.bias.iter().for_each(|&x| put_f32(&mut b, x));
        for &w in &h.weights {
            b.extend_from_slice(&half::f16::from_f32(w).to_le_bytes());
        }
        b
    }

    fn zero_shot_section(&self) -> Vec<u8> {
        let z = &self.zero_shot;
        let mut b = Vec::new();
        put_f32(&mut b, z.threshold);
        let rules = &z.rules[..z.rules.len().min(usize::from(u16::MAX))];
        put_u16(&mut b, rules.len() as u16);
        for r in rules {
            put_u16(&mut b, r.class_id);
            let labels = &r.labels[..r.labels.len().min(usize::from(u16::MAX))];
            put_u16(&mut b, labels.len() as u16);
            labels.iter().for_each(|&l| put_u16(&mut b, l));
        }
        b
    }

    fn teach_negatives_section(&self) -> Vec<u8> {
        let t = &self.teach_negatives;
        let k = self.head.outputs.len();
        let d = crate::teach::learn::SKETCH_DIM;
        let n = t
            .logits
            .len()
            .checked_div(k)
            .unwrap_or(0)
            .min(t.outputs.len())
            .min(t.sketches.len() / d);
        let mut b = Vec::new();
        put_u32(&mut b, k as u32);
        put_u32(&mut b, d as u32);
        put_u32(&mut b, n as u32);
        t.outputs[..n].iter().for_each(|&o| put_u16(&mut b, o));
        let mut q = Vec::with_capacity(n * (k + d));
        let mut scales: Vec<f32> = t
            .logits
            .chunks_exact(k.max(1))
            .take(n)
            .map(|row| put_int8(&mut q, row))
            .collect();
        scales.extend(
            t.sketches
                .chunks_exact(d)
                .take(n)
                .map(|row| put_int8(&mut q, row)),
        );
        scales.iter().for_each(|&s| put_f32(&mut b, s));
        b.extend_from_slice(&q);
        b
    }

    fn exemplars_section(&self) -> Vec<u8> {
        let e = &self.exemplars;
        let mut b = Vec::new();
        put_u32(&mut b, e.dim);
        put_u32(&mut b, e.class_ids.len() as u32);
        e.class_ids.iter().for_each(|&c| put_u16(&mut b, c));
        let mut q = Vec::with_capacity(e.vectors.len());
        let mut scales = Vec::with_capacity(e.class_ids.len());
        if e.dim > 0 {
            for row in e.vectors.chunks(e.dim as usize).take(e.class_ids.len()) {
                scales.push(put_int8(&mut q, row));
            }
        }
        scales.resize(e.class_ids.len(), 0.0);
        scales.iter().for_each(|&s| put_f32(&mut b, s));
        b.extend_from_slice(&q);
        b
    }

    fn fingerprints_section(&self) -> Vec<u8> {
        let f = &self.fingerprints;
        let mut b = Vec::new();
        let recs = &f.recordings[..f.recordings.len().min(usize::from(u16::MAX))];
        put_u16(&mut b, recs.len() as u16);
        for r in recs {
            put_u16(&mut b, r.class_id);
            put_str(&mut b, &r.name);
        }
        let mut entries = f.entries.clone();
        entries.sort_unstable();
        put_u32(&mut b, entries.len() as u32);
        let mut prev = 0u32;
        for e in &entries {
            put_varint(&mut b, e.hash - prev);
            put_varint(&mut b, u32::from(e.recording));
            put_varint(&mut b, u32::from(e.time));
            prev = e.hash;
        }
        b
    }
}

/// What quantising an index costs, measured against its full-precision values.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QuantisationCost {
    /// Exemplars the head was run on.
    pub exemplars: usize,
    /// Exemplars whose top-1 head output changes when the head is fp16 and the
    /// exemplar int8 (compared with both at full precision).
    pub top1_changed: usize,
    /// Largest absolute change of a softmax probability over those runs.
    pub max_prob_change: f32,
    /// Mean cosine similarity between each exemplar and its int8 version.
    pub mean_cosine: f32,
    /// Smallest such cosine.
    pub min_cosine: f32,
}

fn head_probs(weights: &[f32], bias: &[f32], dim: usize, x: &[f32]) -> Vec<f32> {
    let logits: Vec<f32> = weights
        .chunks(dim)
        .zip(bias)
        .map(|(row, b)| row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>() + b)
        .collect();
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold(0, |best, (i, x)| if *x > v[best] { i } else { best })
}

/// Measures the top-1 change of the head on the exemplars and the exemplars' cosine
/// after quantisation, on a full-precision index (before [`Index::to_bytes`]). The head
/// part is skipped (counts 0) when the head's input size differs from the exemplars'.
pub fn quantisation_cost(index: &Index) -> QuantisationCost {
    let e = &index.exemplars;
    let h = &index.head;
    let dim = e.dim as usize;
    let mut cost = QuantisationCost {
        min_cosine: 1.0,
        ..Default::default()
    };
    if dim == 0 || e.vectors.len() != dim * e.class_ids.len() {
        return cost;
    }
    let head_ok =
        h.input_dim == e.dim && !h.outputs.is_empty() && h.weights.len() == dim * h.outputs.len();
    let w16: Vec<f32> = h.weights.iter().map(|&w| through_f16(w)).collect();
    let mut cos_sum = 0f64;
    for x in e.vectors.chunks(dim) {
        let mut q = Vec::with_capacity(dim);
        let s = put_int8(&mut q, x);
        let xq: Vec<f32> = q.iter().map(|&b| f32::from(b as i8) * s).collect();
        let dot: f32 = x.iter().zip(&xq).map(|(a, b)| a * b).sum();
        let (na, nb) = (
            x.iter().map(|a| a * a).sum::<f32>().sqrt(),
            xq.iter().map(|a| a * a).sum::<f32>().sqrt(),
        );
        let cos = if na > 0.0 && nb > 0.0 {
            dot / (na * nb)
        } else {
            1.0
        };
        cos_sum += f64::from(cos);
        cost.min_cosine = cost.min_cosine.min(cos);
        if head_ok {
            let p = head_probs(&h.weights, &h.bias, dim, x);
            let pq = head_probs(&w16, &h.bias, dim, &xq);
            cost.exemplars += 1;
            if argmax(&p) != argmax(&pq) {
                cost.top1_changed += 1;
            }
            let d = p
                .iter()
                .zip(&pq)
                .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            cost.max_prob_change = cost.max_prob_change.max(d);
        }
    }
    cost.mean_cosine = (cos_sum / e.class_ids.len() as f64) as f32;
    cost
}
