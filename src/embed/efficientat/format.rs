//! `mn04.sorim` bytes (see the [module docs](super)) <-> validated `f32` layers ([`LayerWeights`]).
//!
//! Parsing never panics: every read is bounds-checked and every record header is compared with
//! [`LayerSpec::all`] before any buffer is sized from it. [`encode`] writes the format (the real
//! file comes from `tools/convert_efficientat.py`; the encoder serves tests and experiments).

use super::{Activation, BLOCKS, MN04_FEATURES, MN04_HIDDEN, NUM_LABELS};
use crate::embed::format::{parse_records, quantise_max, Reader};
use crate::embed::EmbedError;

/// The eight bytes every `mn04.sorim` file starts with.
pub const MN04_MAGIC: &[u8; 8] = b"SORIMN04";
/// The format version this build reads and `tools/convert_efficientat.py` writes.
pub const MN04_FORMAT_VERSION: u32 = 1;

/// What a layer record computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// Full `k x k` convolution (the stem), weights `[kt][kf][cin][cout]`.
    Conv,
    /// Depthwise `k x k` convolution, weights `[kt][kf][c]`.
    Depthwise,
    /// 1x1 convolution, weights `[cin][cout]`.
    Pointwise,
    /// Fully connected, weights `[cin][cout]`.
    Dense,
}

impl LayerKind {
    fn code(self) -> u8 {
        match self {
            LayerKind::Conv => 1,
            LayerKind::Depthwise => 2,
            LayerKind::Pointwise => 3,
            LayerKind::Dense => 4,
        }
    }
}

fn act_code(a: Activation) -> u8 {
    match a {
        Activation::None => 0,
        Activation::Relu => 1,
        Activation::Hardswish => 2,
        Activation::Sigmoid => 3,
    }
}

/// How a record stores its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Symmetric int8 with an `f32` scale per output channel.
    Int8,
    /// IEEE half precision.
    F16,
    /// IEEE single precision.
    F32,
}

/// One record's expected shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSpec {
    /// What it computes.
    pub kind: LayerKind,
    /// Kernel size (1 for pointwise and dense).
    pub kernel: usize,
    /// Stride (1 except the stem and stride-2 depthwise convs).
    pub stride: usize,
    /// Activation after the bias.
    pub act: Activation,
    /// Input channels (for depthwise: the channels).
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
}

impl LayerSpec {
    const fn new(kind: LayerKind, kernel: usize, stride: usize, act: Activation) -> Self {
        LayerSpec {
            kind,
            kernel,
            stride,
            act,
            cin: 0,
            cout: 0,
        }
    }

    const fn io(self, cin: usize, cout: usize) -> Self {
        LayerSpec { cin, cout, ..self }
    }

    /// Number of weights: `k² cin cout` (conv), `k² c` (depthwise), `cin cout` (pointwise, dense).
    pub fn weight_count(&self) -> usize {
        match self.kind {
            LayerKind::Conv => self.kernel * self.kernel * self.cin * self.cout,
            LayerKind::Depthwise => self.kernel * self.kernel * self.cin,
            LayerKind::Pointwise | LayerKind::Dense => self.cin * self.cout,
        }
    }

    /// mn04's 64 records in file (= execution) order, derived from [`BLOCKS`].
    pub fn all() -> Vec<LayerSpec> {
        use Activation::{Hardswish, None, Relu, Sigmoid};
        use LayerKind::{Conv, Dense, Depthwise, Pointwise};
        let mut v = vec![LayerSpec::new(Conv, 3, 2, Hardswish).io(1, BLOCKS[0].cin)];
        for b in &BLOCKS {
            if b.expanded != b.cin {
                v.push(LayerSpec::new(Pointwise, 1, 1, b.act).io(b.cin, b.expanded));
            }
            v.push(LayerSpec::new(Depthwise, b.kernel, b.stride, b.act).io(b.expanded, b.expanded));
            if b.se {
                v.push(LayerSpec::new(Dense, 1, 1, Relu).io(b.expanded, b.se_width()));
                v.push(LayerSpec::new(Dense, 1, 1, Sigmoid).io(b.se_width(), b.expanded));
            }
            v.push(LayerSpec::new(Pointwise, 1, 1, None).io(b.expanded, b.cout));
        }
        let last = BLOCKS[BLOCKS.len() - 1].cout;
        v.push(LayerSpec::new(Pointwise, 1, 1, Hardswish).io(last, MN04_FEATURES));
        v.push(LayerSpec::new(Dense, 1, 1, Hardswish).io(MN04_FEATURES, MN04_HIDDEN));
        v.push(LayerSpec::new(Dense, 1, 1, None).io(MN04_HIDDEN, NUM_LABELS));
        v
    }

    /// Channels an int8 scale applies to: the last weight axis.
    fn scale_channels(&self) -> usize {
        if self.kind == LayerKind::Depthwise {
            self.cin
        } else {
            self.cout
        }
    }
}

/// A record's dequantised contents: `spec.weight_count()` weights in the layout of
/// [`LayerKind`] and `spec.cout` biases.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// The record's shape.
    pub spec: LayerSpec,
    /// Weights, output channel last.
    pub weights: Vec<f32>,
    /// Biases (BatchNorm folded in).
    pub bias: Vec<f32>,
}

fn mismatch(layer: usize, detail: String) -> EmbedError {
    EmbedError::LayerMismatch { layer, detail }
}

/// Parses and validates `mn04.sorim` bytes into the 64 layers of [`LayerSpec::all`].
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<LayerWeights>, EmbedError> {
    let version = (MN04_MAGIC, MN04_FORMAT_VERSION);
    parse_records(bytes, version, &LayerSpec::all(), "mn04", read_record)
}

fn read_record(r: &mut Reader<'_>, i: usize, want: &LayerSpec) -> Result<LayerWeights, EmbedError> {
    let section = format!("record {i}");
    let h = r.take(8, &section)?;
    let (kind, k, stride, act, enc) = (h[0], h[1], h[2], h[3], h[4]);
    let cin = r.u32(&section)? as usize;
    let cout = r.u32(&section)? as usize;
    let ok = kind == want.kind.code()
        && usize::from(k) == want.kernel
        && usize::from(stride) == want.stride
        && act == act_code(want.act)
        && h[5..8] == [0, 0, 0]
        && cin == want.cin
        && cout == want.cout;
    if !ok {
        return Err(mismatch(
            i,
            format!(
                "found kind {kind} k {k} stride {stride} act {act} reserved {:?} {cin}->{cout}, expected {want:?}",
                &h[5..8]
            ),
        ));
    }
    let n = want.weight_count();
    let bias = r.floats(cout, &section)?;
    let weights = match enc {
        0 => {
            let scale = r.floats(want.scale_channels(), &section)?;
            let q = r.take(n, &section)?;
            let c = scale.len();
            q.iter()
                .enumerate()
                .map(|(j, &b)| f32::from(b as i8) * scale[j % c])
                .collect()
        }
        1 => r
            .take(2 * n, &section)?
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        2 => r.floats(n, &section)?,
        other => return Err(mismatch(i, format!("unknown weight encoding {other}"))),
    };
    if !bias.iter().chain(&weights).all(|v| v.is_finite()) {
        return Err(mismatch(i, "non-finite weight or bias".into()));
    }
    Ok(LayerWeights {
        spec: *want,
        weights,
        bias,
    })
}

/// Writes `layers` (the 64 records of [`LayerSpec::all`], in order) as `mn04.sorim` bytes, every
/// weight in `encoding` (int8: symmetric per output channel, scale `max|w| / 127`).
///
/// # Errors
/// [`EmbedError::LayerMismatch`] if a layer's spec, weight count or bias count differs from
/// [`LayerSpec::all`]; [`EmbedError::InvalidModel`] for a wrong number of layers.
pub fn encode(layers: &[LayerWeights], encoding: Encoding) -> Result<Vec<u8>, EmbedError> {
    let specs = LayerSpec::all();
    if layers.len() != specs.len() {
        return Err(EmbedError::InvalidModel(format!(
            "{} layers, mn04 has {}",
            layers.len(),
            specs.len()
        )));
    }
    let mut out = MN04_MAGIC.to_vec();
    out.extend_from_slice(&MN04_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(specs.len() as u32).to_le_bytes());
    for (i, (l, s)) in layers.iter().zip(&specs).enumerate() {
        if l.spec != *s || l.weights.len() != s.weight_count() || l.bias.len() != s.cout {
            return Err(mismatch(i, format!("layer does not fit {s:?}")));
        }
        let enc = match encoding {
            Encoding::Int8 => 0,
            Encoding::F16 => 1,
            Encoding::F32 => 2,
        };
        out.extend_from_slice(&[
            s.kind.code(),
            s.kernel as u8,
            s.stride as u8,
            act_code(s.act),
        ]);
        out.extend_from_slice(&[enc, 0, 0, 0]);
        out.extend_from_slice(&(s.cin as u32).to_le_bytes());
        out.extend_from_slice(&(s.cout as u32).to_le_bytes());
        l.bias
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        match encoding {
            Encoding::Int8 => {
                let (scale, q) = quantise_max(&l.weights, s.scale_channels());
                scale
                    .iter()
                    .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
                out.extend(q);
            }
            Encoding::F16 => l.weights.iter().for_each(|w| {
                out.extend_from_slice(&half::f16::from_f32(*w).to_le_bytes());
            }),
            Encoding::F32 => l
                .weights
                .iter()
                .for_each(|w| out.extend_from_slice(&w.to_le_bytes())),
        }
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Byte offset where each record starts, plus the CRC's offset last (for tests that cut or patch
/// a file at its section boundaries).
#[cfg(test)]
pub(crate) fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut pos = MN04_MAGIC.len() + 8;
    for s in LayerSpec::all() {
        offsets.push(pos);
        let enc = bytes.get(pos + 4).copied().unwrap_or(2);
        let per = [1, 2, 4][usize::from(enc.min(2))];
        let scales = if enc == 0 { 4 * s.scale_channels() } else { 0 };
        pos += 16 + 4 * s.cout + scales + per * s.weight_count();
    }
    offsets.push(pos);
    offsets
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic small weights: multiples of 1/256 in [-0.5, 0.5].
    pub(crate) fn tiny_layers() -> Vec<LayerWeights> {
        LayerSpec::all()
            .into_iter()
            .enumerate()
            .map(|(i, spec)| LayerWeights {
                spec,
                weights: (0..spec.weight_count())
                    .map(|k| (((k * 31 + i * 7) % 257) as f32 - 128.0) / 256.0)
                    .collect(),
                bias: (0..spec.cout)
                    .map(|k| ((k % 5) as f32 - 2.0) * 0.125)
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn sixty_four_records_match_the_converter() {
        let specs = LayerSpec::all();
        assert_eq!(specs.len(), 64);
        let weights: usize = specs.iter().map(LayerSpec::weight_count).sum();
        assert_eq!(weights, 970_664); // the converter's "weights:" line
    }

    #[test]
    fn every_encoding_round_trips() {
        let layers = tiny_layers();
        for (enc, tol) in [
            (Encoding::F32, 0.0),
            (Encoding::F16, 1e-3),
            (Encoding::Int8, 2.5e-3),
        ] {
            let bytes = encode(&layers, enc).unwrap();
            assert_eq!(*record_offsets(&bytes).last().unwrap(), bytes.len() - 4);
            let back = parse(&bytes).unwrap();
            for (a, b) in back.iter().zip(&layers) {
                assert_eq!((a.spec, &a.bias), (b.spec, &b.bias));
                let d = a.weights.iter().zip(&b.weights).map(|(x, y)| (x - y).abs());
                assert!(d.fold(0.0, f32::max) <= tol, "{enc:?}");
            }
        }
    }

    const SHIPPED: &[u8] = include_bytes!("../../../assets/model/mn04.sorim");

    /// Recomputes the CRC after a patch, so that only the patched field can be the problem.
    fn with_crc(mut b: Vec<u8>) -> Vec<u8> {
        let body = b.len() - 4;
        let crc = crc32fast::hash(&b[..body]);
        b[body..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn the_shipped_file_parses_with_int8_and_f16_records() {
        let layers = parse(SHIPPED).expect("the shipped model parses");
        assert_eq!(layers.len(), 64);
        let offsets = record_offsets(SHIPPED);
        assert_eq!(*offsets.last().unwrap(), SHIPPED.len() - 4);
        let encodings: Vec<u8> = offsets[..64].iter().map(|&o| SHIPPED[o + 4]).collect();
        assert!(
            encodings.contains(&0) && encodings.contains(&1),
            "{encodings:?}"
        );
    }

    #[test]
    fn rejects_bad_magic_version_count_and_crc() {
        let good = SHIPPED.to_vec();
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(parse(&bad).unwrap_err(), EmbedError::BadMagic);
        assert_eq!(
            parse(b"SORIYAMN\x01\0\0\0").unwrap_err(),
            EmbedError::BadMagic
        );
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(
            parse(&bad).unwrap_err(),
            EmbedError::UnsupportedVersion {
                found: 2,
                expected: 1
            }
        );
        let mut bad = good.clone();
        bad[12..16].copy_from_slice(&63u32.to_le_bytes());
        assert!(matches!(
            parse(&bad).unwrap_err(),
            EmbedError::InvalidModel(_)
        ));
        let n = good.len();
        for pos in [20, 100, n / 3, n / 2, n - 5, n - 1] {
            let mut bad = good.clone();
            bad[pos] ^= 0x08;
            assert!(
                matches!(
                    parse(&bad).unwrap_err(),
                    EmbedError::ChecksumMismatch { .. }
                ),
                "flipped bit at {pos}"
            );
        }
        let mut longer = good.clone();
        longer.insert(n - 4, 0);
        assert!(parse(&with_crc(longer)).is_err());
    }

    #[test]
    fn truncation_at_every_section_boundary_is_an_error() {
        let offsets = record_offsets(SHIPPED);
        let mut cuts: Vec<usize> = (0..=16).collect();
        for &o in &offsets {
            // The record's start, inside its header, after the header, after the bias.
            cuts.extend([o, o + 3, o + 8, o + 16, o + 20]);
        }
        cuts.extend(SHIPPED.len() - 4..SHIPPED.len());
        for len in cuts.into_iter().filter(|&l| l < SHIPPED.len()) {
            let err = parse(&SHIPPED[..len]).expect_err("a truncated model must not load");
            assert!(
                matches!(
                    err,
                    EmbedError::Truncated { .. } | EmbedError::ChecksumMismatch { .. }
                ),
                "length {len}: {err:?}"
            );
        }
    }

    #[test]
    fn wrong_shapes_kinds_and_values_are_rejected_even_with_a_valid_crc() {
        let offsets = record_offsets(SHIPPED);
        let patch = |rec: usize, at: usize, bytes: &[u8]| {
            let mut b = SHIPPED.to_vec();
            let o = offsets[rec] + at;
            b[o..o + bytes.len()].copy_from_slice(bytes);
            parse(&with_crc(b))
        };
        for (rec, at, bytes) in [
            (0, 0, &[2u8][..]),           // stem as depthwise
            (5, 1, &[5][..]),             // kernel 3 -> 5
            (5, 2, &[2][..]),             // stride
            (5, 3, &[2][..]),             // ReLU -> Hardswish
            (9, 5, &[1][..]),             // reserved byte
            (20, 8, &9u32.to_le_bytes()), // cin
            (63, 12, &528u32.to_le_bytes()),
        ] {
            let err = patch(rec, at, bytes).expect_err("patched header accepted");
            assert!(
                matches!(err, EmbedError::LayerMismatch { layer, .. } if layer == rec),
                "{err:?}"
            );
        }
        assert!(matches!(
            patch(7, 4, &[9]),
            Err(EmbedError::LayerMismatch { layer: 7, .. })
        ));
        // A NaN bias.
        assert!(matches!(
            patch(3, 16, &f32::NAN.to_le_bytes()),
            Err(EmbedError::LayerMismatch { layer: 3, .. })
        ));
    }

    #[test]
    fn encode_rejects_a_layer_of_the_wrong_shape() {
        let mut layers = tiny_layers();
        layers[3].bias.pop();
        assert!(matches!(
            encode(&layers, Encoding::F32),
            Err(EmbedError::LayerMismatch { layer: 3, .. })
        ));
        assert!(encode(&layers[..10], Encoding::F32).is_err());
    }
}
