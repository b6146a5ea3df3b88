//! The page's fallback decoder of reference sounds (`decodeOggVorbis` in src/web: lewton, through
//! `audio::decode_for_playback`), natively on the shipped `assets/default.idx.sounds`: every sound
//! gives the samples of symphonia's decode (the one `sori build` checks each sound with), at the
//! length its entry states, and decodes at the rates an AudioContext runs at. In the browser, the
//! same wasm code is compared with Chromium's own decoder by tests/e2e/sounds.test.mjs.
#![cfg(not(target_arch = "wasm32"))]

use sori::audio::{decode::decode_bytes, decode_for_playback, decode_ogg_vorbis, resample};
use sori::build::vorbis::logmel_correlation;
use sori::index::sounds::SoundSet;

fn shipped() -> SoundSet {
    SoundSet::from_bytes(&std::fs::read("assets/default.idx.sounds").unwrap()).unwrap()
}

#[test]
fn the_wasm_decoder_gives_the_native_decoders_samples_for_every_shipped_sound() {
    let set = shipped();
    assert!(!set.sounds.is_empty());
    let (mut worst_corr, mut worst_diff) = (1f64, 0f32);
    for s in &set.sounds {
        let native = decode_bytes(s.bytes.clone(), Some("ogg")).unwrap();
        let (wasm, rate) = decode_ogg_vorbis(&s.bytes).unwrap();
        assert_eq!((rate, native.sample_rate), (16_000, 16_000), "{}", s.slug);
        let expect = s.duration_ms as usize * 16;
        for (who, n) in [("lewton", wasm.len()), ("symphonia", native.samples.len())] {
            assert!(
                n.abs_diff(expect) <= 16,
                "{}: {who} gives {n} samples for {} ms",
                s.slug,
                s.duration_ms
            );
        }
        let n = wasm.len().min(native.samples.len());
        let (mut sxy, mut sxx, mut syy, mut diff) = (0f64, 0f64, 0f64, 0f32);
        for (&a, &b) in wasm[..n].iter().zip(&native.samples[..n]) {
            sxy += f64::from(a) * f64::from(b);
            sxx += f64::from(a) * f64::from(a);
            syy += f64::from(b) * f64::from(b);
            diff = diff.max((a - b).abs());
        }
        let corr = sxy / (sxx * syy).sqrt();
        assert!(corr > 0.9999, "{}: waveform correlation {corr}", s.slug);
        assert!(diff < 1e-3, "{}: largest sample difference {diff}", s.slug);
        worst_corr = worst_corr.min(corr);
        worst_diff = worst_diff.max(diff);
        for out_rate in [44_100u32, 48_000] {
            let out = decode_for_playback(&s.bytes, out_rate).unwrap();
            let want = (wasm.len() as u64 * u64::from(out_rate)).div_ceil(16_000) as usize;
            assert!(
                out.len().abs_diff(want) <= 2,
                "{} at {out_rate}: {} samples, {want} expected",
                s.slug,
                out.len()
            );
            let back = resample(&out, out_rate, 16_000).unwrap();
            let c = logmel_correlation(&native.samples, &back);
            assert!(
                c > 0.99,
                "{} at {out_rate} Hz: log-mel correlation {c}",
                s.slug
            );
        }
    }
    println!(
        "{} sounds: lowest waveform correlation {worst_corr:.7}, largest sample difference {worst_diff:.2e}",
        set.sounds.len()
    );
}

#[test]
fn damaged_sounds_are_errors_not_panics() {
    let set = shipped();
    let bytes = &set.sounds[0].bytes;
    // Truncated anywhere: an error, or (cut late) the samples before the cut.
    for cut in [5, 30, 100, 1000, bytes.len() / 2, bytes.len() - 1] {
        if let Ok(s) = decode_for_playback(&bytes[..cut], 48_000) {
            assert!(!s.is_empty());
        }
    }
    let mut garbage = bytes.clone();
    for (i, b) in garbage.iter_mut().enumerate().skip(4) {
        *b = (i * 151) as u8;
    }
    assert!(decode_for_playback(&garbage, 48_000).is_err());
}
