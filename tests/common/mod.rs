//! Helpers shared by the integration tests (native and wasm).
#![allow(dead_code)]

/// Little-endian f32 bytes -> values.
pub fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Values -> little-endian f32 bytes.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Cosine similarity.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}

/// Largest absolute difference.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The features both the native and the wasm test compute: the padded log-mel of the reference waveform,
/// and the YAMNet embedding and scores of its first patch.
pub fn reference_features(model_bytes: &[u8], waveform: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut ex = sori::features::LogMelExtractor::new(&sori::features::FeatureConfig::yamnet());
    let logmel = ex.compute_padded(waveform);
    let model = sori::embed::YamNet::from_bytes(model_bytes).expect("the committed model loads");
    let mut scratch = model.new_scratch();
    let out = model.embed_patch(logmel.patch(0), &mut scratch);
    (logmel.data.clone(), out.embedding, out.scores)
}

/// Indices of the 5 largest values, largest first.
pub fn top5(v: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
    idx.truncate(5);
    idx
}

/// EfficientAT's reference mel, `[128 bands][T frames]` (PyTorch's layout), as a frames-major
/// [`sori::features::LogMel`] (the layout of `EfficientAtMel` and `Mn04`).
pub fn mel_from_reference(m: &[f32]) -> sori::features::LogMel {
    let frames = m.len() / 128;
    let data = (0..frames * 128)
        .map(|i| m[(i % 128) * frames + i / 128])
        .collect();
    sori::features::LogMel {
        bands: 128,
        frames,
        data,
    }
}
