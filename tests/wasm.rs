//! wasm-bindgen tests, run in headless Chromium by `tools/wasm-test.sh`: the wasm build computes the same
//! log-mel features, embeddings and AudioSet scores as the native build (committed in `tests/fixtures/native/`).
#![cfg(target_arch = "wasm32")]

mod common;
use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MODEL: &[u8] = include_bytes!("../assets/model/yamnet.sorim");
const WAVEFORM: &[u8] = include_bytes!("fixtures/yamnet_ref/waveform.f32");
const NATIVE_LOGMEL: &[u8] = include_bytes!("fixtures/native/logmel.f32");
const NATIVE_EMBEDDING: &[u8] = include_bytes!("fixtures/native/embedding0.f32");
const NATIVE_SCORES: &[u8] = include_bytes!("fixtures/native/scores0.f32");

#[wasm_bindgen_test]
fn wasm_features_match_native() {
    let (logmel, embedding, scores) = reference_features(MODEL, &f32s(WAVEFORM));
    let native = f32s(NATIVE_LOGMEL);
    assert_eq!(logmel.len(), native.len());
    let d = max_abs_diff(&logmel, &native);
    assert!(d < 1e-3, "log-mel differs from native by {d}");
    let c = cosine(&embedding, &f32s(NATIVE_EMBEDDING));
    assert!(c > 0.9999, "embedding cosine to native {c}");
    let s = max_abs_diff(&scores, &f32s(NATIVE_SCORES));
    assert!(s < 1e-3, "AudioSet scores differ from native by {s}");
}

#[wasm_bindgen_test]
fn wasm_resampling_keeps_a_tone() {
    // 44.1 kHz, as headless Chromium's AudioContext runs: a 1234 Hz tone survives resampling to 16 kHz.
    let x: Vec<f32> = (0..44_100)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1234.0 * i as f32 / 44_100.0).sin())
        .collect();
    let y = sori::audio::prepare(&x, 44_100).expect("valid rate");
    let f = sori::features::dominant_frequency(&y, 16_000).expect("a tone");
    assert!((f - 1234.0).abs() < 2.0, "peak at {f} Hz");
}
