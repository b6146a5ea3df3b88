//! Helpers shared by the integration tests (native and wasm).
#![allow(dead_code)]

/// Deterministic values in [-1, 1) from `seed` (xorshift64): the synthetic embeddings, weights
/// and audio of the index and pack fixtures (`index_format.rs`, `teach.rs`).
pub fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

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

/// The wasm-vs-native check's input: 2 s of a deterministic synthetic sound at 16 kHz (a 440 Hz tone
/// throughout, a 1500 Hz tone in the first second, a 200 -> 6000 Hz chirp over the whole clip, and
/// xorshift noise in bursts of 0.25 s), peak 0.9. Computed in `f64` from integers, so native and
/// wasm builds start from the same samples.
pub fn analysis_signal() -> Vec<f32> {
    const RATE: f64 = 16_000.0;
    const SECONDS: f64 = 2.0;
    let n = (RATE * SECONDS) as usize;
    let tau = 2.0 * std::f64::consts::PI;
    let mut state = 0x2024_0611_u32;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        f64::from(state) / f64::from(u32::MAX) * 2.0 - 1.0
    };
    let raw: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / RATE;
            // Chirp phase: the integral of 200 + (6000 - 200) t / SECONDS Hz.
            let chirp = tau * (200.0 * t + (6000.0 - 200.0) * t * t / (2.0 * SECONDS));
            let burst = if (i / 4_000) % 2 == 1 { 0.3 } else { 0.0 };
            let tone2 = if t < 1.0 { 0.3 } else { 0.0 };
            0.4 * (tau * 440.0 * t).sin()
                + tone2 * (tau * 1500.0 * t).sin()
                + 0.25 * chirp.sin()
                + burst * noise()
        })
        .collect();
    let peak = raw.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    raw.iter().map(|v| (0.9 * v / peak) as f32).collect()
}

/// What the product's analysis (`sori::matcher::Analyzer` over the given mn04 model bytes) gives for
/// `signal`: the embeddings of every window, concatenated (`windows x EMBEDDING_DIM`), and their
/// AudioSet scores (`windows x NUM_AUDIOSET`). Panics if a window is silent: the check's signal has none.
pub fn analyse(model_bytes: &[u8], signal: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let model =
        sori::embed::efficientat::Mn04::from_bytes(model_bytes).expect("the committed model loads");
    let mut analyzer = sori::matcher::Analyzer::new(std::sync::Arc::new(model));
    let analysis = analyzer.analyse(signal);
    let windows: Vec<_> = analysis
        .windows
        .into_iter()
        .map(|w| w.expect("no window of the signal is silent"))
        .collect();
    (
        windows.iter().flat_map(|w| w.embedding.clone()).collect(),
        windows.iter().flat_map(|w| w.scores.clone()).collect(),
    )
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
