//! wasm-bindgen tests, run in headless Chromium by `tools/wasm-test.sh`: the wasm build's analysis
//! (`matcher::Analyzer`: mn04 on each window) gives the same window embeddings and AudioSet scores as the
//! native build (committed in `tests/fixtures/native/` by `tests/native_fixture.rs`); resampling, the
//! default index, mn04 against its reference, and mn04's speed in wasm.
#![cfg(target_arch = "wasm32")]

mod common;
use common::*;
use sori::embed::{EMBEDDING_DIM, NUM_AUDIOSET};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MN04: &[u8] = include_bytes!("../assets/model/mn04.sorim");
const NATIVE_EMBEDDINGS: &[u8] = include_bytes!("fixtures/native/analysis_embeddings.f32");
const NATIVE_SCORES: &[u8] = include_bytes!("fixtures/native/analysis_scores.f32");

#[wasm_bindgen_test]
fn wasm_analysis_matches_native() {
    let (embeddings, scores) = analyse(MN04, &analysis_signal());
    let (native_e, native_s) = (f32s(NATIVE_EMBEDDINGS), f32s(NATIVE_SCORES));
    assert_eq!(embeddings.len(), native_e.len(), "window count");
    assert_eq!(scores.len(), native_s.len(), "window count");
    let windows = native_e.len() / EMBEDDING_DIM;
    let min_cos = (0..windows)
        .map(|w| {
            cosine(
                &embeddings[w * EMBEDDING_DIM..][..EMBEDDING_DIM],
                &native_e[w * EMBEDDING_DIM..][..EMBEDDING_DIM],
            )
        })
        .fold(1.0f32, f32::min);
    let (de, ds) = (
        max_abs_diff(&embeddings, &native_e),
        max_abs_diff(&scores, &native_s),
    );
    wasm_bindgen_test::console_log!(
        "analysis in wasm vs native, {windows} windows: embedding cosine min {min_cos:.7}, \
         embeddings max |diff| {de:.1e}, scores max |diff| {ds:.1e} ({} scores)",
        windows * NUM_AUDIOSET
    );
    assert!(min_cos >= 0.9999, "embedding cosine to native {min_cos}");
    assert!(de <= 1e-3, "embeddings differ from native by {de}");
    assert!(ds <= 1e-3, "AudioSet scores differ from native by {ds}");
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

const MN04_INPUT: &[u8] = include_bytes!("fixtures/efficientat_ref/input_32k.f32");
const MN04_MEL: &[u8] = include_bytes!("fixtures/efficientat_ref/mel_128xT.f32");
const MN04_FEATURES: &[u8] = include_bytes!("fixtures/efficientat_ref/features_384.f32");
const MN04_LOGITS: &[u8] = include_bytes!("fixtures/efficientat_ref/logits_527.f32");
const MN04_FEATURES_SORIM: &[u8] = include_bytes!("fixtures/efficientat_ref/features_sorim.f32");
const MN04_LOGITS_SORIM: &[u8] = include_bytes!("fixtures/efficientat_ref/logits_sorim.f32");

#[wasm_bindgen_test]
fn wasm_efficientat_matches_the_reference() {
    use sori::embed::efficientat::Mn04;
    let mel = sori::features::EfficientAtMel::new().compute(&f32s(MN04_INPUT));
    let want = mel_from_reference(&f32s(MN04_MEL));
    assert_eq!(mel.frames, want.frames);
    let d = max_abs_diff(&mel.data, &want.data);
    let model = Mn04::from_bytes(MN04).expect("the committed mn04 loads in wasm");
    let out = model.forward(&mel, &mut model.new_scratch()).unwrap();
    let (cf, cl) = (
        cosine(&out.features, &f32s(MN04_FEATURES)),
        cosine(&out.logits, &f32s(MN04_LOGITS)),
    );
    let (ef, el) = (
        cosine(&out.features, &f32s(MN04_FEATURES_SORIM)),
        cosine(&out.logits, &f32s(MN04_LOGITS_SORIM)),
    );
    wasm_bindgen_test::console_log!(
        "mn04 in wasm: mel max |diff| {d:.2e}; vs PyTorch features cos {cf:.7}, logits cos {cl:.7}; \
         vs the exact forward of the shipped weights features cos {ef:.7}, logits cos {el:.7}"
    );
    assert!(d <= 1e-4, "mel differs from the reference by {d}");
    assert!(cf >= 0.999 && cl >= 0.999, "features {cf}, logits {cl}");
    assert!(ef >= 0.99999 && el >= 0.99999, "features {ef}, logits {el}");
    assert_eq!(top5(&out.logits), top5(&f32s(MN04_LOGITS)));
}

#[wasm_bindgen_test]
fn wasm_efficientat_speed_5s() {
    // One 5 s clip at 16 kHz per call (upsampling, front end, network); the median of 21 calls is
    // printed for docs/benchmarks.md (not a timing assertion).
    use sori::embed::efficientat::{Mn04, Mn04Output};
    let model = Mn04::from_bytes(MN04).unwrap();
    let mut scratch = model.new_scratch();
    let mut front = sori::features::EfficientAtMel::new();
    let clip: Vec<f32> = (0..5 * 16_000)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.05 * (((i * 7919) % 1000) as f32 / 500.0 - 1.0)
        })
        .collect();
    let (mut mel, mut out) = (sori::features::LogMel::default(), Mn04Output::default());
    let mut run = || {
        front.compute_16k_into(&clip, &mut mel);
        model.forward_into(&mel, &mut scratch, &mut out).unwrap();
    };
    run();
    // performance.now() (microsecond timer) through js_sys, falling back to Date.now().
    use wasm_bindgen::JsCast;
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok();
    let now_fn = perf
        .as_ref()
        .and_then(|p| js_sys::Reflect::get(p, &"now".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let now = || {
        match (&perf, &now_fn) {
            (Some(p), Some(f)) => f.call0(p).ok().and_then(|v| v.as_f64()),
            _ => None,
        }
        .unwrap_or_else(js_sys::Date::now)
    };
    let mut ms: Vec<f64> = (0..21)
        .map(|_| {
            let t0 = now();
            run();
            now() - t0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    wasm_bindgen_test::console_log!(
        "mn04 5 s clip in wasm (16 kHz upsampled, front end + network): median {:.1} ms, min {:.1} ms, max {:.1} ms over 21 calls ({} frames)",
        ms[10],
        ms[0],
        ms[20],
        mel.frames
    );
    assert_eq!(mel.frames, 500);
    assert!(out.scores.iter().all(|s| (0.0..=1.0).contains(s)));
}
