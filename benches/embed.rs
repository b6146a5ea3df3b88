//! Criterion bench of the embed stage: EfficientAT mn04 on a 5 s clip (16 kHz input upsampled to
//! 32 kHz, front end + network, and each alone) and loading the model.
//!
//! `cargo bench --bench embed` (the model is read from `assets/model/`).

use criterion::{criterion_group, criterion_main, Criterion};

fn bench_mn04(c: &mut Criterion) {
    use sori::embed::efficientat::{Mn04, Mn04Output, MN04_MODEL_PATH};
    use sori::features::{EfficientAtMel, LogMel};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(MN04_MODEL_PATH);
    let bytes = std::fs::read(&path).expect("reading the model");
    let model = Mn04::from_bytes(&bytes).expect("loading the model");
    let mut scratch = model.new_scratch();
    let mut front = EfficientAtMel::new();
    // 5 s at 16 kHz: two tones and deterministic noise.
    let clip: Vec<f32> = (0..5 * 16_000)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.1 * (2.0 * std::f32::consts::PI * 3_100.0 * t).sin()
                + 0.05 * (((i * 7919) % 1000) as f32 / 500.0 - 1.0)
        })
        .collect();
    let (mut mel, mut out) = (LogMel::default(), Mn04Output::default());
    front.compute_16k_into(&clip, &mut mel);
    model.forward_into(&mel, &mut scratch, &mut out).unwrap();
    c.bench_function("mn04_5s_frontend_and_network", |b| {
        b.iter(|| {
            front.compute_16k_into(std::hint::black_box(&clip), &mut mel);
            model.forward_into(&mel, &mut scratch, &mut out).unwrap();
        })
    });
    c.bench_function("mn04_5s_frontend", |b| {
        b.iter(|| front.compute_16k_into(std::hint::black_box(&clip), &mut mel))
    });
    c.bench_function("mn04_5s_network", |b| {
        b.iter(|| {
            model
                .forward_into(std::hint::black_box(&mel), &mut scratch, &mut out)
                .unwrap()
        })
    });
    c.bench_function("mn04_load", |b| {
        b.iter(|| Mn04::from_bytes(std::hint::black_box(&bytes)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_mn04
}
criterion_main!(benches);
