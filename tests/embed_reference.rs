//! The embed stage against TensorFlow: `tests/fixtures/yamnet_ref/logmel.f32` patches through
//! `assets/model/yamnet.sorim` must reproduce YAMNet's embeddings and scores, and damaged model
//! bytes must give an `EmbedError`, never a panic.
//!
//! Run with `--nocapture` to see the measured numbers.

use std::path::PathBuf;

use sori::embed::{
    audioset_labels, EmbedError, YamNet, EMBEDDING_DIM, MEL_BANDS, NUM_AUDIOSET, PATCH_FRAMES,
};

const PATCH_HOP: usize = 48;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_f32(name: &str) -> Vec<f32> {
    let path = root().join("tests/fixtures/yamnet_ref").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert_eq!(bytes.len() % 4, 0, "{name} is not a whole number of f32");
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn model_bytes() -> Vec<u8> {
    let path = root().join(sori::embed::DEFAULT_MODEL_PATH);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb).max(1e-30)
}

fn top5(scores: &[Vec<f32>]) -> Vec<usize> {
    let mut mean = vec![0f32; NUM_AUDIOSET];
    for s in scores {
        mean.iter_mut()
            .zip(s)
            .for_each(|(m, v)| *m += v / scores.len() as f32);
    }
    let mut idx: Vec<usize> = (0..NUM_AUDIOSET).collect();
    idx.sort_by(|&a, &b| mean[b].total_cmp(&mean[a]));
    idx.truncate(5);
    idx
}

/// Runs the shipped model on every fixture patch: `(embeddings, scores)` per patch.
fn run_fixture() -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let logmel = read_f32("logmel.f32");
    assert_eq!(logmel.len() % MEL_BANDS, 0);
    let frames = logmel.len() / MEL_BANDS;
    let patches = 1 + (frames - PATCH_FRAMES) / PATCH_HOP;
    let model = YamNet::from_bytes(&model_bytes()).expect("the shipped model loads");
    let mut scratch = model.new_scratch();
    (0..patches)
        .map(|p| {
            let patch = &logmel[p * PATCH_HOP * MEL_BANDS..][..PATCH_FRAMES * MEL_BANDS];
            let out = model.embed_patch(patch, &mut scratch);
            (out.embedding, out.scores)
        })
        .unzip()
}

/// Compares per-patch outputs with a reference; returns (min cosine, max |score diff|).
fn compare(
    emb: &[Vec<f32>],
    scores: &[Vec<f32>],
    ref_emb: &[f32],
    ref_scores: &[f32],
) -> (f64, f32) {
    assert_eq!(
        ref_emb.len(),
        emb.len() * EMBEDDING_DIM,
        "patch count differs from the reference"
    );
    assert_eq!(ref_scores.len(), scores.len() * NUM_AUDIOSET);
    let mut min_cos = f64::INFINITY;
    let mut max_diff = 0f32;
    for (p, (e, s)) in emb.iter().zip(scores).enumerate() {
        min_cos = min_cos.min(cosine(e, &ref_emb[p * EMBEDDING_DIM..][..EMBEDDING_DIM]));
        let r = &ref_scores[p * NUM_AUDIOSET..][..NUM_AUDIOSET];
        max_diff = s
            .iter()
            .zip(r)
            .map(|(a, b)| (a - b).abs())
            .fold(max_diff, f32::max);
    }
    (min_cos, max_diff)
}

fn split(v: &[f32], dim: usize) -> Vec<Vec<f32>> {
    v.chunks_exact(dim).map(<[f32]>::to_vec).collect()
}

#[test]
fn forward_pass_matches_the_exact_reference_of_the_shipped_weights() {
    let (emb, scores) = run_fixture();
    let ref_emb = read_f32("embeddings_sorim.f32");
    let ref_scores = read_f32("scores_sorim.f32");
    let (min_cos, max_diff) = compare(&emb, &scores, &ref_emb, &ref_scores);
    println!("rust vs exact forward of the shipped weights: min cosine {min_cos:.7}, max |score diff| {max_diff:.2e}");
    assert!(min_cos >= 0.99999, "min cosine {min_cos}");
    assert!(max_diff <= 1e-4, "max score diff {max_diff}");
    assert_eq!(top5(&scores), top5(&split(&ref_scores, NUM_AUDIOSET)));
}

#[test]
fn forward_pass_matches_tensorflow_within_the_quantisation_budget() {
    let (emb, scores) = run_fixture();
    let tf_emb = read_f32("embeddings.f32");
    let tf_scores = read_f32("scores.f32");
    let (min_cos, max_diff) = compare(&emb, &scores, &tf_emb, &tf_scores);
    let labels = audioset_labels();
    let ours: Vec<&str> = top5(&scores).into_iter().map(|i| labels[i]).collect();
    let theirs: Vec<&str> = top5(&split(&tf_scores, NUM_AUDIOSET))
        .into_iter()
        .map(|i| labels[i])
        .collect();
    println!("rust (int8 model) vs TensorFlow f32: min cosine {min_cos:.6}, max |score diff| {max_diff:.2e}");
    println!("top-5 rust {ours:?}\ntop-5 TF   {theirs:?}");
    // int8 weight quantisation costs ~0.002 of cosine on this fixture (see assets/model/README.md).
    assert!(min_cos >= 0.995, "min cosine {min_cos}");
    assert!(max_diff <= 0.05, "max score diff {max_diff}");
    assert_eq!(ours, theirs, "top-5 mean-score labels differ");
}

#[test]
fn outputs_are_well_formed() {
    let (emb, scores) = run_fixture();
    assert!(!emb.is_empty());
    for (e, s) in emb.iter().zip(&scores) {
        assert_eq!(e.len(), EMBEDDING_DIM);
        assert_eq!(s.len(), NUM_AUDIOSET);
        assert!(e.iter().all(|x| x.is_finite() && *x >= 0.0));
        assert!(s.iter().all(|x| (0.0..=1.0).contains(x)));
    }
}

#[test]
fn truncated_models_are_errors_not_panics() {
    let bytes = model_bytes();
    let n = bytes.len();
    // Every length in the header and first records, then a stride through the rest, then the tail.
    let lengths = (0..256).chain((256..n).step_by(n / 97)).chain(n - 8..n);
    for len in lengths {
        let err = YamNet::from_bytes(&bytes[..len]).expect_err("a truncated model must not load");
        assert!(
            matches!(
                err,
                EmbedError::Truncated { .. }
                    | EmbedError::ChecksumMismatch { .. }
                    | EmbedError::BadMagic
            ),
            "length {len}: {err:?}"
        );
    }
}

#[test]
fn corrupt_or_wrong_version_models_are_errors() {
    let good = model_bytes();
    let mut bad = good.clone();
    bad[3] ^= 1;
    assert_eq!(YamNet::from_bytes(&bad).unwrap_err(), EmbedError::BadMagic);
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&7u32.to_le_bytes());
    assert_eq!(
        YamNet::from_bytes(&bad).unwrap_err(),
        EmbedError::UnsupportedVersion {
            found: 7,
            expected: 1
        }
    );
    let mut bad = good.clone();
    bad[12..16].copy_from_slice(&27u32.to_le_bytes());
    assert!(matches!(
        YamNet::from_bytes(&bad).unwrap_err(),
        EmbedError::InvalidModel(_)
    ));
    for pos in [
        16,
        40,
        1000,
        good.len() / 3,
        good.len() / 2,
        good.len() - 100,
        good.len() - 1,
    ] {
        let mut bad = good.clone();
        bad[pos] ^= 0x10;
        assert!(
            YamNet::from_bytes(&bad).is_err(),
            "flipped bit at {pos} was accepted"
        );
    }
    let mut longer = good.clone();
    longer.insert(good.len() - 4, 0);
    assert!(YamNet::from_bytes(&longer).is_err());
    assert!(YamNet::from_bytes(b"not a model at all").is_err());
}

#[test]
fn silence_patch_runs() {
    let model = YamNet::from_bytes(&model_bytes()).expect("loads");
    let mut scratch = model.new_scratch();
    let silence = vec![(0.001f32).ln(); PATCH_FRAMES * MEL_BANDS];
    let out = model.embed_patch(&silence, &mut scratch);
    let labels = audioset_labels();
    let best = (0..NUM_AUDIOSET)
        .max_by(|&a, &b| out.scores[a].total_cmp(&out.scores[b]))
        .unwrap();
    println!(
        "silence patch top label: {} ({:.3})",
        labels[best], out.scores[best]
    );
    assert_eq!(labels[best], "Silence");
}
