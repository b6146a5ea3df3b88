//! The index file format: round trip, golden bytes, rejection of every truncation and
//! flipped byte, specific errors, inspect report, quantisation cost. The build-side
//! inputs (images, dataset discovery, split) are tested in `build_inputs.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::noise;
use proptest::prelude::*;
use sori::build::dataset::{discover, Role};
use sori::fingerprint::{FingerprintRecording, FingerprintTable, HashEntry};
use sori::index::{
    format, inspect_report, quantisation_cost, ClassImage, Index, IndexClass, IndexError,
};
use sori::matcher::{Coverage, Exemplars, Head, ZeroShot, ZeroShotRule};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn tiny_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(12, 8, |x, y| {
        image::Rgb([(x * 20) as u8, (y * 30) as u8, 128])
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

const TINY_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#f80"/></svg>"##;

/// Three classes (one trained with an SVG, one trained with a PNG, one zero-shot), a
/// 16-dim head, exemplars, a zero-shot rule and fingerprints of two recordings.
fn tiny_index() -> Index {
    let tax = sori::taxonomy::classes();
    let pick = |id: u16| tax.iter().find(|c| c.id == id).unwrap().clone();
    let classes = vec![
        IndexClass {
            info: pick(1),
            coverage: Coverage::Trained,
            clips: 12,
            recordings: 4,
            image: Some(ClassImage {
                mime: "image/svg+xml".into(),
                bytes: TINY_SVG.into(),
                credit: "test svg".into(),
            }),
        },
        IndexClass {
            info: pick(8),
            coverage: Coverage::Trained,
            clips: 7,
            recordings: 3,
            image: Some(ClassImage {
                mime: "image/png".into(),
                bytes: tiny_png(),
                credit: "test png".into(),
            }),
        },
        IndexClass {
            info: pick(40),
            coverage: Coverage::ZeroShot,
            clips: 0,
            recordings: 0,
            image: None,
        },
    ];
    let dim = 16;
    let centroids: Vec<Vec<f32>> = (0..2).map(|c| noise(100 + c, dim)).collect();
    let mut vectors = Vec::new();
    let mut class_ids = Vec::new();
    for (k, c) in centroids.iter().enumerate() {
        for j in 0..3 {
            let n = noise(200 + 10 * k as u64 + j, dim);
            vectors.extend(c.iter().zip(&n).map(|(a, b)| a + 0.3 * b));
            class_ids.push([1, 8][k]);
        }
    }
    let mut weights = noise(7, dim).iter().map(|x| x * 0.1).collect::<Vec<_>>();
    weights.extend(noise(8, dim).iter().map(|x| x * 0.1)); // a second other group
    for c in &centroids {
        weights.extend(c.iter().map(|x| x * 2.0));
    }
    let mut entries: Vec<HashEntry> = noise(9, 60)
        .iter()
        .enumerate()
        .map(|(i, x)| HashEntry {
            hash: ((x + 1.0) * 1e9) as u32 / ((i as u32 % 3) + 1),
            recording: (i % 2) as u16,
            time: (i * 37 % 500) as u16,
        })
        .collect();
    entries.sort();
    Index {
        feature_hash: 0x5eed_f00d_1234_5678,
        model_id: "efficientat-mn04-v1".into(),
        classes,
        head: Head {
            input_dim: dim as u32,
            outputs: vec![0, 0, 1, 8],
            weights,
            bias: vec![0.5, 0.375, -0.25, 0.125],
            unknown_threshold: 0.6,
            maybe_threshold: 0.4,
        },
        zero_shot: ZeroShot {
            rules: vec![ZeroShotRule {
                class_id: 40,
                labels: vec![3, 300, 520],
            }],
            threshold: 0.2,
        },
        exemplars: Exemplars {
            dim: dim as u32,
            class_ids,
            vectors,
        },
        fingerprints: FingerprintTable {
            recordings: vec![
                FingerprintRecording {
                    name: "rec-a".into(),
                    class_id: 1,
                },
                FingerprintRecording {
                    name: "녹음-b".into(),
                    class_id: 8,
                },
            ],
            entries,
        },
        build_info: "tiny test index; 3 classes".into(),
        subclasses: Vec::new(),
        teach_negatives: Default::default(),
        taught: None,
    }
}

fn assert_close(a: &[f32], b: &[f32], tol: impl Fn(usize, f32) -> f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol(i, *x), "{what}[{i}]: {x} vs {y}");
    }
}

#[test]
fn round_trip_is_equal_up_to_quantisation_and_reencodes_identically() {
    let idx = tiny_index();
    idx.validate().unwrap();
    let bytes = idx.to_bytes();
    let back = Index::from_bytes(&bytes).unwrap();
    assert_eq!(back.feature_hash, idx.feature_hash);
    assert_eq!(back.model_id, idx.model_id);
    assert_eq!(back.classes, idx.classes);
    assert_eq!(back.zero_shot, idx.zero_shot);
    assert_eq!(back.fingerprints, idx.fingerprints);
    assert_eq!(back.build_info, idx.build_info);
    assert_eq!(
        (back.head.input_dim, &back.head.outputs),
        (idx.head.input_dim, &idx.head.outputs)
    );
    assert_eq!(
        (back.head.bias.clone(), back.head.unknown_threshold),
        (idx.head.bias.clone(), idx.head.unknown_threshold)
    );
    assert_close(
        &idx.head.weights,
        &back.head.weights,
        |_, x| x.abs() / 1024.0 + 1e-7,
        "fp16 weights",
    );
    let dim = idx.exemplars.dim as usize;
    let scale = |i: usize| {
        idx.exemplars.vectors[i / dim * dim..][..dim]
            .iter()
            .fold(0f32, |m, x| m.max(x.abs()))
            / 127.0
    };
    assert_eq!(back.exemplars.class_ids, idx.exemplars.class_ids);
    assert_close(
        &idx.exemplars.vectors,
        &back.exemplars.vectors,
        |i, _| scale(i) * 0.5001,
        "int8 exemplars",
    );
    assert_ne!(
        back.head.weights, idx.head.weights,
        "the head should really be quantised"
    );
    assert_eq!(
        back.to_bytes(),
        bytes,
        "re-encoding a decoded index must give the same bytes"
    );
    assert_eq!(
        Index::from_bytes(&bytes).unwrap(),
        back,
        "decoding is deterministic"
    );
    assert_eq!(
        back.class_by_slug(&idx.classes[1].info.slug)
            .unwrap()
            .info
            .id,
        8
    );
    assert!(back.class_by_slug("no_such_class").is_none());
}

#[test]
fn golden_tiny_index_is_byte_identical() {
    let path = Path::new(ROOT).join("tests/golden/tiny.idx");
    let bytes = tiny_index().to_bytes();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    let golden =
        std::fs::read(&path).expect("tests/golden/tiny.idx is missing: run with UPDATE_GOLDEN=1");
    assert!(golden == bytes, "the index encoding changed: if intended, bump FORMAT_VERSION if old files no longer read, then run with UPDATE_GOLDEN=1");
    Index::from_bytes(&golden).unwrap();
}

fn assert_rejected(bytes: &[u8], what: &str) {
    assert!(Index::from_bytes(bytes).is_err(), "{what} was accepted");
}

#[test]
fn every_truncation_and_every_flipped_byte_of_the_tiny_index_is_rejected() {
    let bytes = tiny_index().to_bytes();
    for len in 0..bytes.len() {
        let e = Index::from_bytes(&bytes[..len]).unwrap_err();
        assert!(
            matches!(e, IndexError::Truncated { .. } | IndexError::BadMagic),
            "cut at {len}: {e:?}"
        );
    }
    let mut b = bytes.clone();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            b[i] ^= mask;
            assert_rejected(&b, &format!("byte {i} ^ {mask:#x}"));
            b[i] ^= mask;
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Index::from_bytes(&longer),
        Err(IndexError::Corrupt(_))
    ));
}

fn default_index() -> Option<Vec<u8>> {
    let path = Path::new(ROOT).join("assets/default.idx");
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!("skipped: {} does not exist yet", path.display());
            None
        }
    }
}

#[test]
fn default_index_reads_and_rejects_section_boundary_truncations() {
    let Some(bytes) = default_index() else { return };
    let idx = Index::from_bytes(&bytes).unwrap();
    assert_eq!(
        idx.to_bytes(),
        bytes,
        "the committed index is not in canonical form"
    );
    let header = format::read_header(&bytes).unwrap();
    let mut cuts: Vec<usize> = (0..200.min(bytes.len())).collect();
    for s in &header.sections {
        let (a, b) = (s.offset as usize, (s.offset + s.length) as usize);
        cuts.extend([
            a.saturating_sub(1),
            a,
            a + 1,
            (a + b) / 2,
            b.saturating_sub(1),
        ]);
    }
    cuts.retain(|&c| c < bytes.len());
    for c in cuts {
        assert_rejected(&bytes[..c], &format!("default index cut at {c}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn default_index_rejects_random_truncations_and_flips(pos in 0.0f64..1.0, mask in 1u8..=255) {
        if let Some(bytes) = default_index() {
            let i = ((bytes.len() as f64 * pos) as usize).min(bytes.len() - 1);
            prop_assert!(Index::from_bytes(&bytes[..i]).is_err());
            let mut b = bytes.clone();
            b[i] ^= mask;
            prop_assert!(Index::from_bytes(&b).is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512), keep in 0usize..400) {
        let _ = Index::from_bytes(&data);
        // Valid header and directory followed by garbage: must still be an error, not a panic.
        let mut b = tiny_index().to_bytes();
        let k = keep.min(b.len());
        b.truncate(k);
        b.extend_from_slice(&data);
        let _ = Index::from_bytes(&b);
    }
}

#[test]
fn header_errors_are_specific() {
    let bytes = tiny_index().to_bytes();
    let mut v = bytes.clone();
    v[8..12].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(
        Index::from_bytes(&v),
        Err(IndexError::UnsupportedVersion {
            found: 1,
            expected: 2
        }),
        "a version-1 index (before other groups and the maybe threshold) is refused"
    );
    v[8..12].copy_from_slice(&3u32.to_le_bytes());
    assert_eq!(
        Index::from_bytes(&v),
        Err(IndexError::UnsupportedVersion {
            found: 3,
            expected: 2
        })
    );
    let mut m = bytes.clone();
    m[0] = b'X';
    assert_eq!(Index::from_bytes(&m), Err(IndexError::BadMagic));
    assert_eq!(Index::from_bytes(b"GIF89a..."), Err(IndexError::BadMagic));
    let mut h = bytes.clone();
    h[14] ^= 1; // inside the feature hash: covered by the header CRC
    assert_eq!(
        Index::from_bytes(&h),
        Err(IndexError::Checksum {
            section: "header".into()
        })
    );
    let header = format::read_header(&bytes).unwrap();
    let head = header
        .sections
        .iter()
        .find(|s| s.tag == format::TAG_HEAD)
        .unwrap();
    let mut c = bytes.clone();
    c[head.offset as usize + 3] ^= 0x10;
    assert_eq!(
        Index::from_bytes(&c),
        Err(IndexError::Checksum {
            section: "head".into()
        })
    );
    let cut = &bytes[..head.offset as usize + 5];
    assert_eq!(
        Index::from_bytes(cut),
        Err(IndexError::Truncated {
            section: "head".into()
        })
    );
}

#[test]
fn feature_mismatch_is_reported_separately_from_reading() {
    let idx = Index::from_bytes(&tiny_index().to_bytes()).unwrap();
    assert!(idx.check_features(0x5eed_f00d_1234_5678).is_ok());
    let e = idx.check_features(42).unwrap_err();
    assert_eq!(
        e,
        IndexError::FeatureMismatch {
            found: 0x5eed_f00d_1234_5678,
            expected: 42
        }
    );
    assert!(e.to_string().contains("rebuild"));
}

#[test]
fn inconsistent_indexes_are_corrupt_not_written_silently() {
    let mut idx = tiny_index();
    idx.head.weights.pop();
    assert!(matches!(idx.validate(), Err(IndexError::Corrupt(_))));
    let mut idx = tiny_index();
    idx.classes[0].image.as_mut().unwrap().mime = "text/html".into();
    assert!(Index::from_bytes(&idx.to_bytes()).is_err());
    let mut idx = tiny_index();
    idx.zero_shot.rules[0]
        .labels
        .push(sori::index::AUDIOSET_LABELS);
    assert!(matches!(
        Index::from_bytes(&idx.to_bytes()),
        Err(IndexError::Corrupt(_))
    ));
    let mut idx = tiny_index();
    idx.fingerprints.entries.reverse(); // the writer sorts
    assert_eq!(
        Index::from_bytes(&idx.to_bytes()).unwrap().fingerprints,
        tiny_index().fingerprints
    );
}

#[test]
fn inspect_report_lists_sections_classes_and_head() {
    let idx = tiny_index();
    let bytes = idx.to_bytes();
    let r = inspect_report(&idx, &bytes);
    for needle in [
        "format version  2",
        "0x5eedf00d12345678",
        "efficientat-mn04-v1",
        "fingerprints",
        "exemplars",
        "4 outputs (2 other groups) x 16 inputs",
        "threshold 0.6",
        "60 hashes from 2 recordings",
        &idx.classes[0].info.slug,
        &idx.classes[0].info.category,
        "zero-shot",
    ] {
        assert!(r.contains(needle), "report lacks {needle:?}:\n{r}");
    }
    assert!(inspect_report(&idx, b"junk").contains("do not parse"));
}

#[test]
fn quantisation_cost_is_small_on_clustered_exemplars() {
    // 1024-dim embeddings around 20 class centroids, a head that scores by centroid.
    let (dim, classes, per) = (1024usize, 20u16, 10usize);
    let mut idx = tiny_index();
    let tax = sori::taxonomy::classes();
    idx.classes = tax[..classes as usize]
        .iter()
        .map(|c| IndexClass {
            info: c.clone(),
            coverage: Coverage::Trained,
            clips: 1,
            recordings: 1,
            image: None,
        })
        .collect();
    let cents: Vec<Vec<f32>> = (0..classes)
        .map(|c| noise(1000 + u64::from(c), dim))
        .collect();
    let (mut vectors, mut class_ids) = (Vec::new(), Vec::new());
    for (c, cent) in cents.iter().enumerate() {
        for j in 0..per {
            let n = noise(5000 + (c * per + j) as u64, dim);
            vectors.extend(cent.iter().zip(&n).map(|(a, b)| 0.05 * (a + 1.2 * b)));
            class_ids.push(c as u16 + 1);
        }
    }
    idx.exemplars = Exemplars {
        dim: dim as u32,
        class_ids,
        vectors,
    };
    idx.head = Head {
        input_dim: dim as u32,
        outputs: (1..=classes).collect(),
        weights: cents.iter().flatten().map(|x| x * 0.3).collect(),
        bias: vec![0.0; classes as usize],
        unknown_threshold: 0.5,
        maybe_threshold: 0.3,
    };
    idx.zero_shot = ZeroShot::default();
    idx.fingerprints = FingerprintTable::default();
    let cost = quantisation_cost(&idx);
    eprintln!(
        "quantisation cost on {} synthetic exemplars: {cost:?}",
        cost.exemplars
    );
    assert_eq!(cost.exemplars, classes as usize * per);
    assert!(
        cost.mean_cosine > 0.999 && cost.min_cosine > 0.998,
        "{cost:?}"
    );
    assert!(cost.top1_changed * 100 <= cost.exemplars, "{cost:?}");
    let bytes = idx.to_bytes();
    eprintln!(
        "{} exemplars x {dim} + head {classes} x {dim}: {} bytes",
        idx.exemplars.class_ids.len(),
        bytes.len()
    );
}

/// Measurement, not a check: fingerprint section bytes per hash entry on the corpus's
/// class clips, delta-varint coded versus a fixed `(u32, u16, u16)` layout. Run with
/// `cargo test --test index_format -- --ignored --nocapture fingerprint_section_size`.
#[test]
#[ignore]
fn fingerprint_section_size() {
    use sori::fingerprint::FingerprintConfig;
    let corpus = Path::new(ROOT).join("../shared/corpus");
    let Ok(d) = discover(&corpus) else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let cfg = FingerprintConfig::default();
    let mut table = FingerprintTable::new();
    for s in d.sounds.iter().filter(|s| s.role == Role::Class) {
        let Ok(dec) = sori::audio::decode::decode_file(&s.path) else {
            continue;
        };
        let Ok(x) = sori::audio::prepare(&dec.samples, dec.sample_rate) else {
            continue;
        };
        let name = s.path.file_stem().unwrap().to_string_lossy();
        table.add_recording(
            &name,
            s.class_id.unwrap(),
            &sori::fingerprint::extract_landmarks(&x, &cfg),
        );
    }
    table.finish();
    let mut idx = tiny_index();
    idx.fingerprints = table;
    idx.classes = sori::taxonomy::classes()
        .into_iter()
        .map(|info| IndexClass {
            info,
            coverage: Coverage::Trained,
            clips: 0,
            recordings: 0,
            image: None,
        })
        .collect();
    let bytes = idx.to_bytes();
    let h = format::read_header(&bytes).unwrap();
    let fp = h
        .sections
        .iter()
        .find(|s| s.tag == format::TAG_FINGERPRINTS)
        .unwrap();
    let n = idx.fingerprints.entries.len();
    eprintln!(
        "{} recordings, {n} hashes: fingerprint section {} bytes ({:.2} B/hash); fixed 8 B/hash would be {}",
        idx.fingerprints.recordings.len(),
        fp.length,
        fp.length as f64 / n.max(1) as f64,
        n * 8
    );
    Index::from_bytes(&bytes).unwrap();
}

/// Sets a section's bytes and recomputes its CRC and the header CRC, as a careless tool would.
fn patch_section(bytes: &[u8], tag: [u8; 4], patch: impl Fn(&mut [u8])) -> Vec<u8> {
    let header = format::read_header(bytes).unwrap();
    let s = header.sections.iter().find(|s| s.tag == tag).unwrap();
    let mut out = bytes.to_vec();
    patch(&mut out[s.offset as usize..(s.offset + s.length) as usize]);
    format::repair_checksums(&out).unwrap()
}

#[test]
fn exemplars_not_in_canonical_int8_form_are_rejected() {
    let bytes = tiny_index().to_bytes();
    // Unchanged bytes with fresh checksums still read: the patcher itself is sound.
    assert!(Index::from_bytes(&patch_section(&bytes, format::TAG_EXEMPLARS, |_| {})).is_ok());
    // EXMP: u32 dim, u32 count, u16 x count class ids, f32 x count scales, int8 vectors.
    fn count(sec: &[u8]) -> usize {
        u32::from_le_bytes(sec[4..8].try_into().unwrap()) as usize
    }
    fn first_scale(sec: &[u8]) -> usize {
        8 + 2 * count(sec)
    }
    type Patch = Box<dyn Fn(&mut [u8])>;
    let cases: [(&str, Patch); 3] = [
        (
            "scale with more than 16 significant bits",
            Box::new(move |sec: &mut [u8]| {
                let at = first_scale(sec);
                let s = f32::from_le_bytes(sec[at..at + 4].try_into().unwrap());
                sec[at..at + 4].copy_from_slice(&(s * 1.000_01).to_le_bytes());
            }),
        ),
        (
            "negative scale",
            Box::new(move |sec: &mut [u8]| {
                let at = first_scale(sec);
                sec[at + 3] |= 0x80;
            }),
        ),
        (
            "largest value below 127",
            Box::new(move |sec: &mut [u8]| {
                let q = first_scale(sec) + 4 * count(sec);
                for b in &mut sec[q..] {
                    *b = (*b as i8 / 2) as u8;
                }
            }),
        ),
    ];
    for (what, patch) in cases {
        let bad = patch_section(&bytes, format::TAG_EXEMPLARS, patch);
        match Index::from_bytes(&bad) {
            Err(IndexError::Corrupt(m)) => assert!(m.contains("canonical"), "{what}: {m}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}
