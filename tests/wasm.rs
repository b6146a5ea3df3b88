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

const DEFAULT_INDEX: &[u8] = include_bytes!("../assets/default.idx");

#[wasm_bindgen_test]
fn wasm_loads_the_default_index() {
    // Loading works in wasm and is quick; the time is printed for the closing notes (not a timing test).
    let t0 = js_sys::Date::now();
    let runs = 10;
    for _ in 0..runs {
        let index = sori::index::Index::from_bytes(DEFAULT_INDEX)
            .expect("the committed index loads in wasm");
        assert_eq!(index.classes.len(), 76);
    }
    let ms = (js_sys::Date::now() - t0) / runs as f64;
    wasm_bindgen_test::console_log!(
        "default index load in wasm: {ms:.1} ms per load ({} bytes)",
        DEFAULT_INDEX.len()
    );
    let index = sori::index::Index::from_bytes(DEFAULT_INDEX).unwrap();
    let matcher = sori::matcher::Matcher::new(index, Default::default()).expect("head fits");
    assert!(matcher.index().fingerprints.entries.len() > 1000);
}
