//! Fingerprint stage benches: landmark extraction of 5 s of audio and a 5 s query against a
//! table of 650 synthetic 5 s recordings (the size of the real index).
//!
//! `cargo bench --bench fingerprint`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use sori::augment::add_pink_noise;
use sori::fingerprint::{
    extract_landmarks, extract_query_landmarks, FingerprintConfig, FingerprintTable,
};

const SR: usize = 16_000;

/// Seeded synthetic recording: overlapping tones, chirps and noise bursts.
fn synth(seed: u64, seconds: f32) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let n = (seconds * SR as f32) as usize;
    let mut x: Vec<f32> = (0..n).map(|_| (rng.f32() - 0.5) * 0.002).collect();
    let mut t = 0usize;
    while t < n {
        let len = rng.usize(1600..8000);
        let kind = rng.u8(0..3);
        let (f0, f1) = (400.0 + rng.f32() * 2400.0, 400.0 + rng.f32() * 2400.0);
        let amp = 0.05 + rng.f32() * 0.2;
        let dur = len as f32 / SR as f32;
        for i in 0..len.min(n - t) {
            let s = i as f32 / SR as f32;
            let env = (std::f32::consts::PI * i as f32 / len as f32).sin();
            let v = match kind {
                0 => (std::f32::consts::TAU * f0 * s).sin(),
                1 => (std::f32::consts::TAU * (f0 * s + (f1 - f0) * s * s / (2.0 * dur))).sin(),
                _ => (rng.f32() - 0.5) * 2.0,
            };
            x[t + i] += amp * env * v;
        }
        t += len / 2 + rng.usize(0..4000);
    }
    x
}

fn bench(c: &mut Criterion) {
    let cfg = FingerprintConfig::default();
    let five = synth(1, 5.0);
    c.bench_function("extract_landmarks 5 s (reference)", |b| {
        b.iter(|| extract_landmarks(black_box(&five), &cfg))
    });
    c.bench_function("extract_query_landmarks 5 s", |b| {
        b.iter(|| extract_query_landmarks(black_box(&five), &cfg))
    });

    let mut table = FingerprintTable::new();
    for k in 0..650u64 {
        let rec = synth(1000 + k, 5.0);
        table.add_recording(&format!("synth-{k}"), 1, &extract_landmarks(&rec, &cfg));
    }
    table.finish();
    let query = add_pink_noise(&synth(1000 + 321, 5.0), 10.0, 9);
    let landmarks = extract_query_landmarks(&query, &cfg);
    c.bench_function("query 5 s against 650 x 5 s", |b| {
        b.iter(|| table.query(black_box(&landmarks), &cfg))
    });
    c.bench_function("extract + query 5 s against 650 x 5 s", |b| {
        b.iter(|| table.query(&extract_query_landmarks(black_box(&query), &cfg), &cfg))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
