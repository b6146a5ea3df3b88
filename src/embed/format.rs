//! Model bytes (`.sorim`, see the [module docs](super)) -> validated, dequantised [`Layer`]s.
//!
//! Parsing never panics: every read is bounds-checked and every shape is compared with
//! [`ARCHITECTURE`] before any buffer is sized from it.

use super::EmbedError;

/// The eight bytes every `.sorim` file starts with.
pub const MAGIC: &[u8; 8] = b"SORIYAMN";
/// The `.sorim` format version this build reads and `tools/convert_yamnet.py` writes.
pub const FORMAT_VERSION: u32 = 1;

/// What a layer record computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Full 3x3 convolution, weights `[3][3][cin][cout]`.
    Conv,
    /// Depthwise 3x3 convolution, weights `[3][3][c]`.
    Depthwise,
    /// 1x1 convolution, weights `[cin][cout]`.
    Pointwise,
    /// Fully connected, weights `[cin][cout]`.
    Dense,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Conv => 1,
            Kind::Depthwise => 2,
            Kind::Pointwise => 3,
            Kind::Dense => 4,
        }
    }
}

/// One layer's expected shape: kind, stride, ReLU?, input and output channels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerSpec {
    pub kind: Kind,
    pub stride: usize,
    pub relu: bool,
    pub cin: usize,
    pub cout: usize,
}

const fn spec(kind: Kind, stride: usize, relu: bool, cin: usize, cout: usize) -> LayerSpec {
    LayerSpec {
        kind,
        stride,
        relu,
        cin,
        cout,
    }
}

const fn dw(c: usize, stride: usize) -> LayerSpec {
    spec(Kind::Depthwise, stride, true, c, c)
}

const fn pw(cin: usize, cout: usize) -> LayerSpec {
    spec(Kind::Pointwise, 1, true, cin, cout)
}

/// YAMNet's 28 layer records, in execution order (checked against the SavedModel by the converter).
pub(crate) const ARCHITECTURE: [LayerSpec; 28] = [
    spec(Kind::Conv, 2, true, 1, 32),
    dw(32, 1),
    pw(32, 64),
    dw(64, 2),
    pw(64, 128),
    dw(128, 1),
    pw(128, 128),
    dw(128, 2),
    pw(128, 256),
    dw(256, 1),
    pw(256, 256),
    dw(256, 2),
    pw(256, 512),
    dw(512, 1),
    pw(512, 512),
    dw(512, 1),
    pw(512, 512),
    dw(512, 1),
    pw(512, 512),
    dw(512, 1),
    pw(512, 512),
    dw(512, 1),
    pw(512, 512),
    dw(512, 2),
    pw(512, 1024),
    dw(1024, 1),
    pw(1024, 1024),
    spec(Kind::Dense, 1, false, 1024, 521),
];

/// A decoded layer: its spec, `f32` weights in the record's order and biases.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub spec: LayerSpec,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Weight encodings of the `encoding` header byte.
const ENC_INT8: u8 = 0;
const ENC_F16: u8 = 1;

/// Bounds-checked little-endian reader (shared with the mn04 loader).
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

    fn f32s(&mut self, n: usize, section: &str, layer: usize) -> Result<Vec<f32>, EmbedError> {
        let v = self.floats(n, section)?;
        finite(&v, layer, section)?;
        Ok(v)
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

fn finite(v: &[f32], layer: usize, what: &str) -> Result<(), EmbedError> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(EmbedError::LayerMismatch {
            layer,
            detail: format!("non-finite value in {what}"),
        })
    }
}

/// Number of weights of a layer with this spec.
pub(crate) fn weight_count(s: &LayerSpec) -> usize {
    match s.kind {
        Kind::Conv => 9 * s.cin * s.cout,
        Kind::Depthwise => 9 * s.cin,
        Kind::Pointwise | Kind::Dense => s.cin * s.cout,
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

/// Parses and validates a `.sorim` file into YAMNet's 28 layers.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Layer>, EmbedError> {
    parse_records(
        bytes,
        (MAGIC, FORMAT_VERSION),
        &ARCHITECTURE,
        "YAMNet",
        read_layer,
    )
}

fn read_layer(r: &mut Reader<'_>, i: usize, want: &LayerSpec) -> Result<Layer, EmbedError> {
    let section = format!("layer {i}");
    let head = r.take(4, &section)?;
    let (kind, stride, act, encoding) = (head[0], head[1], head[2], head[3]);
    let mut dims = [0u32; 4];
    for d in &mut dims {
        *d = r.u32(&section)?;
    }
    let [kh, kw, cin, cout] = dims.map(|d| d as usize);
    let (want_k, want_cout) = match want.kind {
        Kind::Conv | Kind::Depthwise => (3, want.cout),
        Kind::Pointwise | Kind::Dense => (1, want.cout),
    };
    let ok = kind == want.kind.code()
        && stride as usize == want.stride
        && act == u8::from(want.relu)
        && kh == want_k
        && kw == want_k
        && cin == want.cin
        && cout == want_cout;
    if !ok {
        return Err(EmbedError::LayerMismatch {
            layer: i,
            detail: format!(
                "found kind {kind} stride {stride} act {act} {kh}x{kw} {cin}->{cout}, expected {:?} stride {} {want_k}x{want_k} {}->{}",
                want.kind, want.stride, want.cin, want.cout
            ),
        });
    }
    let n = weight_count(want);
    let bias = r.f32s(cout, &section, i)?;
    let weights = match encoding {
        ENC_INT8 => {
            let scale = r.f32s(cout, &section, i)?;
            let q = r.take(n, &section)?;
            dequantise_int8(q, &scale, want)
        }
        ENC_F16 => {
            let b = r.take(2 * n, &section)?;
            let w: Vec<f32> = b
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect();
            finite(&w, i, "weights")?;
            w
        }
        other => {
            return Err(EmbedError::LayerMismatch {
                layer: i,
                detail: format!("unknown weight encoding {other}"),
            })
        }
    };
    Ok(Layer {
        spec: *want,
        weights,
        bias,
    })
}

/// `w = q * scale[out]`; the output channel is the last axis of every weight layout.
fn dequantise_int8(q: &[u8], scale: &[f32], s: &LayerSpec) -> Vec<f32> {
    let channels = if s.kind == Kind::Depthwise {
        s.cin
    } else {
        s.cout
    };
    q.iter()
        .enumerate()
        .map(|(k, &b)| f32::from(b as i8) * scale[k % channels])
        .collect()
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

/// Serialises layers in the `.sorim` format with every weight int8-quantised per output channel.
/// For tests: the real file comes from `tools/convert_yamnet.py`.
#[cfg(test)]
pub(crate) fn encode(layers: &[Layer]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(layers.len() as u32).to_le_bytes());
    for l in layers {
        let s = &l.spec;
        let k = if matches!(s.kind, Kind::Conv | Kind::Depthwise) {
            3u32
        } else {
            1
        };
        out.extend_from_slice(&[s.kind.code(), s.stride as u8, u8::from(s.relu), ENC_INT8]);
        for d in [k, k, s.cin as u32, s.cout as u32] {
            out.extend_from_slice(&d.to_le_bytes());
        }
        let channels = if s.kind == Kind::Depthwise {
            s.cin
        } else {
            s.cout
        };
        let (scale, q) = quantise_max(&l.weights, channels);
        l.bias
            .iter()
            .chain(&scale)
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        out.extend(q);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Layer `i`'s weight `k` in [`tiny_model`]: a multiple of 1/1024 in [-127/1024, 127/1024].
    fn tiny_weight(i: usize, k: usize) -> f32 {
        (((k * 7 + i) % 255) as f32 - 127.0) / 1024.0
    }

    /// A model with small deterministic weights (representable after quantisation up to rounding).
    pub(crate) fn tiny_model() -> Vec<u8> {
        let layers: Vec<Layer> = ARCHITECTURE
            .iter()
            .enumerate()
            .map(|(i, s)| Layer {
                spec: *s,
                weights: (0..weight_count(s)).map(|k| tiny_weight(i, k)).collect(),
                bias: (0..s.cout).map(|k| (k % 5) as f32 * 0.25).collect(),
            })
            .collect();
        encode(&layers)
    }

    #[test]
    fn round_trips_int8_weights() {
        let bytes = tiny_model();
        let layers = parse(&bytes).expect("valid model");
        assert_eq!(layers.len(), 28);
        for (i, l) in layers.iter().enumerate() {
            assert_eq!(l.weights.len(), weight_count(&l.spec));
            for (k, w) in l.weights.iter().enumerate() {
                let want = tiny_weight(i, k);
                // Within half a quantisation step (at most 0.5 / 1024); a layout error would be far off.
                assert!(
                    (w - want).abs() <= 0.5 / 1024.0 + 1e-6,
                    "layer {i} weight {k}: {w} vs {want}"
                );
            }
        }
    }

    #[test]
    fn rejects_bad_magic_version_and_crc() {
        let good = tiny_model();
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(parse(&bad).unwrap_err(), EmbedError::BadMagic);
        let mut bad = good.clone();
        bad[8] = 2;
        assert_eq!(
            parse(&bad).unwrap_err(),
            EmbedError::UnsupportedVersion {
                found: 2,
                expected: 1
            }
        );
        let mut bad = good.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x40;
        assert!(matches!(
            parse(&bad).unwrap_err(),
            EmbedError::ChecksumMismatch { .. }
        ));
        assert!(matches!(
            parse(&good[..3]).unwrap_err(),
            EmbedError::Truncated { .. }
        ));
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn rejects_a_wrong_shape_even_with_a_valid_crc() {
        let mut bytes = tiny_model();
        bytes[16 + 3 * 4] = 9; // layer 0's cin (u32 at record offset 12) = 9
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            parse(&bytes).unwrap_err(),
            EmbedError::LayerMismatch { layer: 0, .. }
        ));
    }
}
