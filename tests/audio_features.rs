//! Integration tests for stage 1 (audio) and stage 2 (features).
//!
//! DSP properties (Parseval, silence floor, chunk-size invariance, mel band placement),
//! resampling quality (frequency kept, aliasing removed, no delay), loudness invariance,
//! decoding (real corpus clip when `../shared` exists, in-memory WAV, garbage).

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sori::audio::decode::{decode_bytes, decode_file};
use sori::audio::{
    is_silent, normalise_loudness, prepare, resample, resampled_len, sanitize, AudioError,
    StreamResampler, TARGET_RATE,
};
use sori::features::{dominant_frequency, FeatureConfig, LogMel, LogMelExtractor};

fn tone(freq: f64, rate: u32, seconds: f64, amp: f64) -> Vec<f32> {
    let n = (f64::from(rate) * seconds).round() as usize;
    (0..n)
        .map(|i| (amp * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Deterministic white noise in [-amp, amp].
fn noise(n: usize, amp: f32, seed: u32) -> Vec<f32> {
    let mut s = seed.max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 * 2.0 - 1.0) * amp
        })
        .collect()
}

fn rms_db(x: &[f32]) -> f64 {
    let p = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64;
    10.0 * p.max(1e-30).log10()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn shared_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.join("manifest.tsv").is_file() {
        Some(p)
    } else {
        println!("skipping: {} is absent", p.display());
        None
    }
}

// ---------------------------------------------------------------- features

#[test]
fn fft_frame_obeys_parseval() {
    let cfg = FeatureConfig::display();
    let mut ex = LogMelExtractor::new(&cfg);
    let frame = noise(cfg.window, 0.8, 7);
    let n = cfg.window as f64;
    let windowed_energy: f64 = frame
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n).cos();
            (f64::from(x) * w).powi(2)
        })
        .sum();
    let mag = ex.magnitude_spectrum(&frame);
    assert_eq!(mag.len(), 257);
    let last = mag.len() - 1;
    let spectral: f64 = mag
        .iter()
        .enumerate()
        .map(|(k, &m)| {
            let p = f64::from(m).powi(2);
            if k == 0 || k == last {
                p
            } else {
                2.0 * p
            }
        })
        .sum::<f64>()
        / cfg.fft_len as f64;
    let rel = (spectral - windowed_energy).abs() / windowed_energy;
    assert!(rel < 1e-4, "Parseval off by {rel:e}");
}

#[test]
fn silence_gives_the_log_offset_everywhere() {
    let mut ex = LogMelExtractor::new(&FeatureConfig::display());
    let floor = 0.001f32.ln();
    let lm = ex.compute(&vec![0.0; 20_000]);
    assert_eq!(lm.frames, 1 + (20_000 - 400) / 160);
    assert!(lm.data.iter().all(|&v| v == floor));
    let mut streamed = LogMel::new(64);
    ex.push(&vec![0.0; 1_000], &mut streamed);
    assert_eq!(streamed.frames, 4);
    assert!(streamed.data.iter().all(|&v| v == floor));
}

#[test]
fn logmel_push_in_128_blocks_equals_one_buffer() {
    let mut x = tone(440.0, TARGET_RATE, 3.0, 0.3);
    for (a, b) in x.iter_mut().zip(noise(48_000, 0.05, 3)) {
        *a += b;
    }
    let mut ex = LogMelExtractor::new(&FeatureConfig::display());
    let whole = ex.compute(&x);
    let mut streamed = LogMel::new(64);
    for block in x.chunks(128) {
        ex.push(block, &mut streamed);
    }
    assert_eq!(whole.frames, 1 + (48_000 - 400) / 160);
    assert_eq!(streamed.frames, whole.frames);
    assert!(max_abs_diff(&whole.data, &streamed.data) <= 1e-6);
}

#[test]
fn a_1khz_tone_peaks_in_the_band_containing_1khz() {
    let x = tone(1_000.0, TARGET_RATE, 1.0, 0.5);
    let lm = LogMelExtractor::new(&FeatureConfig::display()).compute(&x);
    let mut mean = [0.0f32; 64];
    for t in 0..lm.frames {
        for (m, v) in mean.iter_mut().zip(lm.frame(t)) {
            *m += v / lm.frames as f32;
        }
    }
    let best = (0..64)
        .max_by(|&a, &b| mean[a].total_cmp(&mean[b]))
        .unwrap();
    let mel = |f: f64| 1127.0 * (1.0 + f / 700.0).ln();
    let (lo, hi) = (mel(125.0), mel(7_500.0));
    let edge = |i: usize| lo + (hi - lo) * i as f64 / 65.0;
    let m1k = mel(1_000.0);
    assert!(
        edge(best) < m1k && m1k < edge(best + 2),
        "peak band {best} does not contain 1 kHz"
    );
    // And it is the band whose centre is closest to 1 kHz.
    let closest = (0..64)
        .min_by(|&a, &b| {
            (edge(a + 1) - m1k)
                .abs()
                .total_cmp(&(edge(b + 1) - m1k).abs())
        })
        .unwrap();
    assert_eq!(best, closest);
}

// ---------------------------------------------------------------- resampling

#[test]
fn resampling_keeps_the_tone_frequency() {
    for rate in [44_100u32, 48_000, 8_000, 96_000, 22_050, 32_000, 11_025] {
        for f in [440.0, 1_000.0, 3_000.0] {
            let x = tone(f, rate, 1.0, 0.5);
            let y = resample(&x, rate, TARGET_RATE).unwrap();
            assert_eq!(y.len(), TARGET_RATE as usize);
            let got = dominant_frequency(&y, TARGET_RATE).unwrap();
            assert!((f64::from(got) - f).abs() < 1.0, "{rate} Hz: {f} -> {got}");
            // Level kept (passband) away from the edges.
            let mid = &y[1_000..15_000];
            assert!(
                (rms_db(mid) - rms_db(&x)).abs() < 0.1,
                "{rate} Hz {f} Hz level"
            );
        }
    }
}

#[test]
fn resampling_removes_content_above_8khz() {
    for (rate, f) in [
        (48_000u32, 12_000.0),
        (44_100, 10_000.0),
        (96_000, 30_000.0),
        (22_050, 9_000.0),
    ] {
        let x = tone(f, rate, 1.0, 0.5);
        let y = resample(&x, rate, TARGET_RATE).unwrap();
        let drop = rms_db(&x) - rms_db(&y[500..15_500]);
        assert!(drop >= 40.0, "{f} Hz at {rate} Hz only {drop:.1} dB down");
    }
}

#[test]
fn resampling_has_no_start_delay() {
    for rate in [44_100u32, 48_000, 8_000, 96_000, 11_025, 44_101] {
        let f = 200.0;
        let x = tone(f, rate, 0.5, 0.5);
        let y = resample(&x, rate, TARGET_RATE).unwrap();
        assert_eq!(y.len(), resampled_len(x.len(), rate, TARGET_RATE));
        let expected = tone(f, TARGET_RATE, 0.5, 0.5);
        // Compare away from the edges (the filter sees the signal start and stop there).
        let err = max_abs_diff(&y[800..7_200], &expected[800..7_200]);
        // A shift of 0.1 sample would already give 2e-3 here.
        assert!(
            err < 1e-4,
            "{rate} Hz: max error {err} against the ideal tone"
        );
    }
}

fn stream_in_blocks(x: &[f32], rate: u32, sizes: &[usize]) -> Vec<f32> {
    let mut rs = StreamResampler::new(rate).unwrap();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < x.len() {
        let n = sizes[i % sizes.len()].max(1).min(x.len() - pos);
        rs.push(&x[pos..pos + n], &mut out);
        pos += n;
        i += 1;
    }
    rs.finish(&mut out);
    out
}

#[test]
fn stream_resampler_in_128_blocks_equals_one_buffer() {
    for rate in [44_100u32, 48_000, 8_000, 96_000, 16_000] {
        let mut x = tone(700.0, rate, 1.3, 0.4);
        let hiss = noise(x.len(), 0.1, rate);
        for (a, b) in x.iter_mut().zip(hiss) {
            *a += b;
        }
        let whole = resample(&x, rate, TARGET_RATE).unwrap();
        let streamed = stream_in_blocks(&x, rate, &[128]);
        assert!(max_abs_diff(&whole, &streamed) <= 1e-6, "{rate} Hz");
        // Reusable after finish.
        let again = stream_in_blocks(&x, rate, &[x.len()]);
        assert!(max_abs_diff(&whole, &again) <= 1e-6);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn stream_resampler_is_block_size_invariant(
        sizes in proptest::collection::vec(1usize..3_000, 1..6),
        rate in proptest::sample::select(vec![8_000u32, 22_050, 44_100, 48_000, 96_000]),
        len in 1usize..20_000,
    ) {
        let x = noise(len, 0.5, len as u32);
        let whole = resample(&x, rate, TARGET_RATE).unwrap();
        let streamed = stream_in_blocks(&x, rate, &sizes);
        prop_assert_eq!(whole.len(), resampled_len(len, rate, TARGET_RATE));
        prop_assert!(max_abs_diff(&whole, &streamed) <= 1e-6);
    }

    #[test]
    fn logmel_push_is_block_size_invariant(
        sizes in proptest::collection::vec(1usize..2_000, 1..6),
        len in 0usize..8_000,
    ) {
        let x = noise(len, 0.5, 11 + len as u32);
        let mut ex = LogMelExtractor::new(&FeatureConfig::display());
        let whole = ex.compute(&x);
        let mut streamed = LogMel::new(64);
        let (mut pos, mut i) = (0, 0);
        while pos < x.len() {
            let n = sizes[i % sizes.len()].min(x.len() - pos);
            ex.push(&x[pos..pos + n], &mut streamed);
            pos += n;
            i += 1;
        }
        prop_assert_eq!(whole.frames, streamed.frames);
        prop_assert!(max_abs_diff(&whole.data, &streamed.data) <= 1e-6);
    }
}

// ---------------------------------------------------------------- loudness

#[test]
fn loudness_normalisation_makes_gain_irrelevant() {
    // A sound with pauses: noise bursts over a low tone, peak about 0.3.
    let mut base = tone(300.0, TARGET_RATE, 2.0, 0.1);
    let bursts = noise(base.len(), 0.2, 99);
    for (i, (a, b)) in base.iter_mut().zip(bursts).enumerate() {
        if (i / 4_000) % 2 == 0 {
            *a += b;
        }
    }
    let scaled = |g_db: f32| -> Vec<f32> {
        let g = 10f32.powf(g_db / 20.0);
        base.iter().map(|v| v * g).collect()
    };
    let (mut quiet, mut loud) = (scaled(-20.0), scaled(6.0));
    let mut ex = LogMelExtractor::new(&FeatureConfig::display());
    let raw_diff = max_abs_diff(&ex.compute(&quiet).data, &ex.compute(&loud).data);
    assert!(
        raw_diff > 1.0,
        "the test needs the gains to matter ({raw_diff})"
    );
    let lq = normalise_loudness(&mut quiet);
    let ll = normalise_loudness(&mut loud);
    assert!(
        (lq.gain_db - ll.gain_db - 26.0).abs() < 0.01,
        "{lq:?} {ll:?}"
    );
    let diff = max_abs_diff(&ex.compute(&quiet).data, &ex.compute(&loud).data);
    assert!(diff < 1e-3, "normalised log-mels differ by {diff}");
    assert!(quiet.iter().all(|v| v.abs() <= 0.99 + 1e-6));
}

#[test]
fn silence_is_detected_and_left_alone() {
    let mut x = vec![0.0f32; 16_000];
    assert!(is_silent(&x));
    let l = normalise_loudness(&mut x);
    assert_eq!(l.gain_db, 0.0);
    assert!(x.iter().all(|&v| v == 0.0));
    let hum = tone(50.0, TARGET_RATE, 1.0, 0.0002); // about -77 dBFS RMS, under the -70 gate
    assert!(is_silent(&hum));
    let quiet_hum = tone(50.0, TARGET_RATE, 1.0, 0.0005); // about -69 dBFS: quiet, not silent
    assert!(!is_silent(&quiet_hum));
    let speech_level = tone(500.0, TARGET_RATE, 1.0, 0.05);
    assert!(!is_silent(&speech_level));
}

// ---------------------------------------------------------------- robustness

#[test]
fn nan_and_out_of_range_input_is_sanitised() {
    let mut x = tone(440.0, 48_000, 0.5, 0.5);
    x[100] = f32::NAN;
    x[200] = f32::INFINITY;
    x[300] = -1e9;
    let y = prepare(&x, 48_000).unwrap();
    assert_eq!(y.len(), 8_000);
    assert!(y.iter().all(|v| v.is_finite() && v.abs() <= 1.1));
    let mut rs = StreamResampler::new(48_000).unwrap();
    let mut out = Vec::new();
    for block in x.chunks(128) {
        rs.push(block, &mut out);
    }
    rs.finish(&mut out);
    assert!(max_abs_diff(&y, &out) <= 1e-6);
    let mut z = x.clone();
    assert_eq!(sanitize(&mut z), 3);
}

#[test]
fn one_sample_input_works_everywhere() {
    for rate in [8_000u32, 16_000, 44_100, 96_000] {
        let y = prepare(&[0.5], rate).unwrap();
        assert_eq!(y.len(), resampled_len(1, rate, TARGET_RATE));
        assert!(!y.is_empty() && y.iter().all(|v| v.is_finite()));
        let mut rs = StreamResampler::new(rate).unwrap();
        let mut out = Vec::new();
        rs.push(&[0.5], &mut out);
        rs.finish(&mut out);
        assert_eq!(out.len(), y.len());
    }
    let mut ex = LogMelExtractor::new(&FeatureConfig::display());
    assert_eq!(ex.compute(&[0.5]).frames, 0);
    let mut p = vec![0.0; 400];
    p[0] = 0.5;
    let p = ex.compute(&p);
    assert_eq!(p.frames, 1);
    assert!(p.data.iter().all(|v| v.is_finite()));
    assert_eq!(dominant_frequency(&[0.5], 16_000), None);
    let mut one = [0.5f32];
    normalise_loudness(&mut one);
    assert!(one[0].abs() <= 0.99 + 1e-6);
}

#[test]
fn bad_rates_are_errors() {
    assert!(matches!(
        StreamResampler::new(7_999),
        Err(AudioError::UnsupportedRate { rate: 7_999 })
    ));
    assert!(resample(&[0.0; 10], 44_100, 200_000).is_err());
    assert_eq!(resample(&[], 44_100, 16_000).unwrap(), Vec::<f32>::new());
}

#[test]
fn dominant_frequency_is_accurate_at_every_rate() {
    for rate in [8_000u32, 11_025, 44_100, 48_000, 96_000] {
        for f in [123.4, 987.6, 2_345.6] {
            let x = tone(f, rate, 0.5, 0.2);
            let got = dominant_frequency(&x, rate).unwrap();
            assert!((f64::from(got) - f).abs() < 1.0, "{rate}: {f} -> {got}");
        }
    }
    assert_eq!(dominant_frequency(&[0.0; 4_000], 16_000), None);
}

// ---------------------------------------------------------------- decoding

/// A 16-bit PCM WAV file in memory.
fn wav_bytes(rate: u32, channels: u16, interleaved: &[f32]) -> Vec<u8> {
    sori::build::aihub::synth::wav_bytes(rate, channels, interleaved)
}

#[test]
fn decodes_an_in_memory_stereo_wav() {
    let left = tone(440.0, 44_100, 0.5, 0.5);
    let inter: Vec<f32> = left.iter().flat_map(|&l| [l, -0.5 * l]).collect();
    let d = decode_bytes(wav_bytes(44_100, 2, &inter), Some("wav")).unwrap();
    assert_eq!(
        (d.sample_rate, d.channels, d.samples.len()),
        (44_100, 2, 22_050)
    );
    let want: Vec<f32> = left.iter().map(|l| 0.25 * l).collect();
    assert!(max_abs_diff(&d.samples, &want) < 1e-4);
    let y = prepare(&d.samples, d.sample_rate).unwrap();
    assert_eq!(y.len(), 8_000);
    let f = dominant_frequency(&y, TARGET_RATE).unwrap();
    assert!((f - 440.0).abs() < 1.0);
}

/// FLAC, Ogg Vorbis, 24-bit and IMA-ADPCM WAV written by `sox` (synthetic tones; skipped
/// when `sox` is not installed).
#[test]
fn decodes_flac_vorbis_and_adpcm_made_by_sox() {
    let dir = std::env::temp_dir().join(format!("sori-h2-sox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, u32, usize, &[&str]); 4] = [
        ("tone.flac", 22_050, 2, &[]),
        ("tone.ogg", 48_000, 2, &[]),
        ("tone24.wav", 96_000, 1, &["-b", "24"]),
        ("tone_adpcm.wav", 8_000, 1, &["-e", "ima-adpcm"]),
    ];
    for (name, rate, channels, opts) in cases {
        let path = dir.join(name);
        let status = std::process::Command::new("sox")
            .args(["-n", "-r", &rate.to_string(), "-c", &channels.to_string()])
            .args(opts)
            .arg(&path)
            .args(["synth", "0.5", "sine", "440", "vol", "0.5"])
            .status();
        match status {
            Ok(s) if s.success() => {}
            _ => {
                println!("skipping: sox is not available to write {name}");
                let _ = std::fs::remove_dir_all(&dir);
                return;
            }
        }
        let d = decode_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((d.sample_rate, d.channels), (rate, channels), "{name}");
        let want = rate as i64 / 2;
        let got = d.samples.len() as i64;
        // ADPCM works in blocks; everything else is sample-exact.
        let slack = if name.contains("adpcm") { 1_024 } else { 0 };
        assert!(
            (got - want).abs() <= slack,
            "{name}: {got} samples, want {want}"
        );
        let y = prepare(&d.samples, d.sample_rate).unwrap();
        let f = dominant_frequency(&y, TARGET_RATE).unwrap();
        assert!((f - 440.0).abs() < 1.0, "{name}: {f} Hz");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Total PCM samples of an Ogg stream: the granule position of its last page.
fn ogg_last_granule(bytes: &[u8]) -> Option<u64> {
    let pos = bytes.windows(4).rposition(|w| w == b"OggS")?;
    let g = bytes.get(pos + 6..pos + 14)?;
    Some(u64::from_le_bytes(g.try_into().ok()?))
}

#[test]
fn decodes_real_corpus_clips_at_their_duration() {
    let Some(corpus) = shared_dir() else { return };
    let manifest = std::fs::read_to_string(corpus.join("manifest.tsv")).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(path), Some(source)) = (cols.next(), cols.next()) else {
            continue;
        };
        if !seen.insert(source.to_string()) {
            continue;
        }
        let file = corpus.join(path);
        let bytes = std::fs::read(&file).unwrap();
        let granule = ogg_last_granule(&bytes).expect("an Ogg file");
        let d = decode_file(&file).unwrap();
        assert_eq!((d.sample_rate, d.channels), (16_000, 1), "{path}");
        let diff = d.samples.len() as i64 - granule as i64;
        assert!(
            diff.abs() <= 0,
            "{path}: {} samples, granule says {granule}",
            d.samples.len()
        );
        // The corpus README: at most 5 s each (sound effects can be much shorter).
        assert!(
            d.duration() > 0.2 && d.duration() <= 5.1,
            "{path}: {} s",
            d.duration()
        );
        let y = prepare(&d.samples, d.sample_rate).unwrap();
        assert_eq!(y.len(), d.samples.len());
        assert!(!is_silent(&y), "{path} decoded to silence");
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn garbage_gives_errors_not_panics() {
    assert_eq!(
        decode_bytes(Vec::new(), Some("ogg")),
        Err(AudioError::Empty)
    );
    let text = b"This is a text file, not audio at all.\n".repeat(20);
    assert!(decode_bytes(text.clone(), Some("wav")).is_err());
    assert!(decode_bytes(text.clone(), None).is_err());
    assert!(decode_bytes(
        noise(4_096, 1.0, 5)
            .iter()
            .map(|v| v.to_bits() as u8)
            .collect(),
        Some("mp3")
    )
    .is_err());
    // A text file on disk with an audio extension, and a missing file.
    let dir = std::env::temp_dir().join(format!("sori-h2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("notes.ogg");
    std::fs::write(&txt, &text).unwrap();
    assert!(decode_file(&txt).is_err());
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(decode_file(&empty), Err(AudioError::Empty));
    assert!(matches!(
        decode_file(&dir.join("missing.wav")),
        Err(AudioError::Io(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
    // A WAV header that promises more than it has, and one cut inside the header.
    let wav = wav_bytes(16_000, 1, &tone(440.0, 16_000, 0.1, 0.5));
    assert!(decode_bytes(wav[..30].to_vec(), Some("wav")).is_err());
    let truncated = decode_bytes(wav[..1_000].to_vec(), Some("wav"));
    assert!(truncated.map(|d| d.samples.len() < 1_600).unwrap_or(true));
    // A real Ogg clip, truncated and corrupted: any result but a panic.
    if let Some(corpus) = shared_dir() {
        let bytes = std::fs::read(corpus.join("audio/esc10/1-100032-A.ogg")).unwrap();
        let _ = decode_bytes(bytes[..bytes.len() / 2].to_vec(), Some("ogg"));
        let _ = decode_bytes(bytes[..100].to_vec(), Some("ogg"));
        let mut broken = bytes.clone();
        for (i, b) in broken.iter_mut().enumerate().skip(4_000) {
            if i % 7 == 0 {
                *b ^= 0x5a;
            }
        }
        let _ = decode_bytes(broken, Some("ogg"));
    }
}
