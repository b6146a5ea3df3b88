//! Benchmarks for the audio and features stages.
//!
//! - `logmel_60s`: the 64-band display log-mel of 60 s of 16 kHz audio (5,998 frames).
//! - `resample_5s_44k1_to_16k`: whole-buffer resampling of 5 s at 44.1 kHz.
//! - `stream_resample_128_48k`: one 128-sample AudioWorklet block at 48 kHz (budget 2.7 ms).
//!
//! Run with `cargo bench --bench features`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use sori::audio::{resample, StreamResampler, TARGET_RATE};
use sori::features::{FeatureConfig, LogMelExtractor};

/// A deterministic noisy chord, so the FFT sees realistic data.
fn signal(rate: u32, seconds: f64) -> Vec<f32> {
    let n = (f64::from(rate) * seconds) as usize;
    let mut state = 0x2545_f491_u32;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state as f32 / u32::MAX as f32 - 0.5) * 0.05;
            let t = i as f32 / rate as f32;
            0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.1 * (2.0 * std::f32::consts::PI * 3_000.0 * t).sin()
                + noise
        })
        .collect()
}

fn bench_logmel(c: &mut Criterion) {
    let x = signal(TARGET_RATE, 60.0);
    let mut ex = LogMelExtractor::new(&FeatureConfig::display());
    c.bench_function("logmel_60s", |b| b.iter(|| ex.compute(black_box(&x))));
}

fn bench_resample(c: &mut Criterion) {
    let x = signal(44_100, 5.0);
    c.bench_function("resample_5s_44k1_to_16k", |b| {
        b.iter(|| resample(black_box(&x), 44_100, TARGET_RATE))
    });
    let block = signal(48_000, 128.0 / 48_000.0);
    let mut rs = StreamResampler::new(48_000).expect("48 kHz is supported");
    let mut out = Vec::with_capacity(1 << 16);
    c.bench_function("stream_resample_128_48k", |b| {
        b.iter(|| {
            rs.push(black_box(&block), &mut out);
            if out.len() > 60_000 {
                out.clear();
            }
        })
    });
}

criterion_group!(benches, bench_logmel, bench_resample);
criterion_main!(benches);
