//! Criterion bench of the embed stage: one YAMNet forward pass on a 96x64 patch.
//!
//! `cargo bench --bench embed` (the model is read from `assets/model/yamnet.sorim`).

use criterion::{criterion_group, criterion_main, Criterion};
use sori::embed::{YamNet, MEL_BANDS, PATCH_FRAMES};

fn bench_embed(c: &mut Criterion) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(sori::embed::DEFAULT_MODEL_PATH);
    let bytes = std::fs::read(&path).expect("reading the model");
    let model = YamNet::from_bytes(&bytes).expect("loading the model");
    let mut scratch = model.new_scratch();
    // A deterministic patch in the log-mel range (-6.9 .. 4).
    let patch: Vec<f32> = (0..PATCH_FRAMES * MEL_BANDS)
        .map(|i| ((i * 37 % 113) as f32 / 113.0) * 10.0 - 6.9)
        .collect();
    let mut out = model.embed_patch(&patch, &mut scratch);
    c.bench_function("yamnet_patch_forward", |b| {
        b.iter(|| model.embed_patch_into(std::hint::black_box(&patch), &mut scratch, &mut out))
    });
    c.bench_function("yamnet_load", |b| {
        b.iter(|| YamNet::from_bytes(std::hint::black_box(&bytes)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_embed
}
criterion_main!(benches);
