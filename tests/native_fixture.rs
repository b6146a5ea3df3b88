//! Native side of the wasm-vs-native check of the product's analysis path: the committed
//! `tests/fixtures/native/analysis_*.f32` files are what the native `matcher::Analyzer` (mn04 on each
//! 0.975 s window) gives for the synthetic signal of `common::analysis_signal`: every window's
//! embedding and AudioSet scores. `tests/wasm.rs` checks that the wasm build gives the same.
//! `SORI_UPDATE_FIXTURES=1 cargo test --release --test native_fixture` rewrites them.

mod common;
use common::*;
use sori::embed::{EMBEDDING_DIM, NUM_AUDIOSET};

const MODEL: &[u8] = include_bytes!("../assets/model/mn04.sorim");

#[test]
fn committed_native_analysis_is_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/native");
    let signal = analysis_signal();
    assert_eq!(signal.len(), 32_000);
    let (embeddings, scores) = analyse(MODEL, &signal);
    let windows = sori::matcher::Analyzer::window_starts(signal.len()).len();
    assert_eq!(windows, 4);
    assert_eq!(embeddings.len(), windows * EMBEDDING_DIM);
    assert_eq!(scores.len(), windows * NUM_AUDIOSET);
    // The check must be able to fail: finite values, and windows different enough (cosine 0.79-0.95
    // between them) that a shifted, dropped or repeated window fails the per-window cosine >= 0.9999.
    assert!(embeddings.iter().chain(&scores).all(|v| v.is_finite()));
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
    for a in 0..windows {
        for b in a + 1..windows {
            let e = |w: usize| &embeddings[w * EMBEDDING_DIM..][..EMBEDDING_DIM];
            let c = cosine(e(a), e(b));
            assert!(c < 0.99, "windows {a} and {b} are too alike (cosine {c})");
        }
    }
    if std::env::var_os("SORI_UPDATE_FIXTURES").is_some() {
        std::fs::write(dir.join("analysis_embeddings.f32"), f32_bytes(&embeddings)).unwrap();
        std::fs::write(dir.join("analysis_scores.f32"), f32_bytes(&scores)).unwrap();
    }
    let read = |n: &str| {
        f32s(
            &std::fs::read(dir.join(n))
                .expect("fixture present (SORI_UPDATE_FIXTURES=1 to create)"),
        )
    };
    let (want_e, want_s) = (read("analysis_embeddings.f32"), read("analysis_scores.f32"));
    // The fixture is written on an x86-64 machine with AVX2 + FMA; other native paths (the portable
    // kernels) round differently, by far less than these bounds.
    let (de, ds) = (
        max_abs_diff(&embeddings, &want_e),
        max_abs_diff(&scores, &want_s),
    );
    println!("native analysis vs the committed fixture: embeddings max |diff| {de:.1e}, scores max |diff| {ds:.1e}");
    assert!(de < 1e-3, "embeddings differ from the fixture by {de}");
    assert!(ds < 1e-4, "scores differ from the fixture by {ds}");
    for w in 0..windows {
        let c = cosine(
            &embeddings[w * EMBEDDING_DIM..][..EMBEDDING_DIM],
            &want_e[w * EMBEDDING_DIM..][..EMBEDDING_DIM],
        );
        assert!(c > 0.99999, "window {w}: cosine {c}");
    }
}
