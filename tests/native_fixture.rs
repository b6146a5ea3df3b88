//! Native side of the wasm-vs-native check: the committed `tests/fixtures/native/*.f32` files are what the
//! native build computes for the reference waveform; `tests/wasm.rs` checks that wasm computes the same.
//! `SORI_UPDATE_FIXTURES=1 cargo test --test native_fixture` rewrites them.

mod common;
use common::*;

const MODEL: &[u8] = include_bytes!("../assets/model/yamnet.sorim");
const WAVEFORM: &[u8] = include_bytes!("fixtures/yamnet_ref/waveform.f32");

#[test]
fn committed_native_features_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/native");
    let (logmel, embedding, scores) = reference_features(MODEL, &f32s(WAVEFORM));
    if std::env::var_os("SORI_UPDATE_FIXTURES").is_some() {
        std::fs::write(dir.join("logmel.f32"), f32_bytes(&logmel)).unwrap();
        std::fs::write(dir.join("embedding0.f32"), f32_bytes(&embedding)).unwrap();
        std::fs::write(dir.join("scores0.f32"), f32_bytes(&scores)).unwrap();
    }
    let read = |n: &str| {
        f32s(
            &std::fs::read(dir.join(n))
                .expect("fixture present (SORI_UPDATE_FIXTURES=1 to create)"),
        )
    };
    assert!(max_abs_diff(&logmel, &read("logmel.f32")) < 1e-5);
    assert!(max_abs_diff(&embedding, &read("embedding0.f32")) < 1e-4);
    assert!(max_abs_diff(&scores, &read("scores0.f32")) < 1e-5);
}
