//! Landmarks: [`Peak`]s -> pairs of peaks in a target zone -> 32-bit hashes with anchor times.
//!
//! Each anchor peak `(t1, f1)` is paired with the first `fan_out` later peaks `(t2, f2)` with
//! `min_dt ≤ t2 − t1 ≤ max_dt` and `|f2 − f1| ≤ max_df`. The hash packs
//! `(f1, f2 − f1, t2 − t1)`: bits 15..24 hold `f1` (STFT bin), bits 7..15 `f2 − f1 + 128`,
//! bits 0..7 `t2 − t1`. The landmark's time is the anchor frame `t1`.

use super::config::FingerprintConfig;
use super::peaks::{limit_density, Peak, Spectrogram};

/// Largest Δt (frames) the hash layout holds.
pub const MAX_HASH_DT: u16 = 127;
/// Largest |Δf| (bins) the hash layout holds.
pub const MAX_HASH_DF: u16 = 127;

/// One landmark: a peak-pair hash and the anchor's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Landmark {
    /// `(f1, Δf, Δt)` packed as described in the module docs.
    pub hash: u32,
    /// Anchor time in fingerprint frames ([`super::FRAME_SECONDS`] each).
    pub time: u16,
}

/// Packs an anchor bin, a signed bin offset and a frame offset into a hash.
pub(crate) fn pack(f1: u16, df: i32, dt: u16) -> u32 {
    (u32::from(f1 & 0x1FF) << 15)
        | ((((df + 128).clamp(0, 255)) as u32) << 7)
        | u32::from(dt & 0x7F)
}

/// Largest anchor bin the hash layout holds.
pub(crate) const MAX_F1: i32 = 0x1FF;

/// Splits a hash into `(f1, Δf, Δt)`.
pub(crate) fn unpack(hash: u32) -> (i32, i32, i32) {
    (
        ((hash >> 15) & 0x1FF) as i32,
        ((hash >> 7) & 0xFF) as i32 - 128,
        (hash & 0x7F) as i32,
    )
}

/// Reference landmarks of 16 kHz mono `samples16k`: sparse peaks (`peaks_per_second`) and
/// `fan_out` targets per anchor. Use this to build a [`super::FingerprintTable`].
///
/// Sorted by `(time, hash)`, without duplicates. Empty or silent input gives no landmarks;
/// non-finite samples count as silence; audio beyond `u16::MAX` frames (~17 min) is ignored.
pub fn extract_landmarks(samples16k: &[f32], cfg: &FingerprintConfig) -> Vec<Landmark> {
    extract(samples16k, cfg, cfg.peaks_per_second, cfg.fan_out)
}

/// Query landmarks: like [`extract_landmarks`] but with the denser `query_peaks_per_second`
/// and `query_fan_out`, so they contain most of the reference landmarks of the same audio
/// even after noise or filtering. Use this for audio passed to
/// [`super::FingerprintTable::query`] (reference landmarks work too, with a lower hit rate).
pub fn extract_query_landmarks(samples16k: &[f32], cfg: &FingerprintConfig) -> Vec<Landmark> {
    extract(
        samples16k,
        cfg,
        cfg.query_peaks_per_second,
        cfg.query_fan_out,
    )
}

fn extract(
    samples: &[f32],
    cfg: &FingerprintConfig,
    per_second: f32,
    fan_out: usize,
) -> Vec<Landmark> {
    let spec = Spectrogram::compute(samples, cfg);
    let peaks = limit_density(&spec.local_maxima(cfg), per_second);
    pair_peaks(&peaks, cfg, fan_out)
}

/// Pairs each peak with up to `fan_out` targets in its zone; `peaks` sorted by `(t, f)`.
pub(crate) fn pair_peaks(peaks: &[Peak], cfg: &FingerprintConfig, fan_out: usize) -> Vec<Landmark> {
    let (min_dt, max_dt, max_df) = cfg.zone();
    let mut out = Vec::with_capacity(peaks.len() * fan_out.min(32));
    for (i, a) in peaks.iter().enumerate() {
        let mut taken = 0usize;
        for b in &peaks[i + 1..] {
            if taken >= fan_out {
                break;
            }
            let dt = b.t - a.t; // sorted by t, so no underflow
            if dt > max_dt {
                break;
            }
            let df = i32::from(b.f) - i32::from(a.f);
            if dt < min_dt || df.unsigned_abs() > u32::from(max_df) {
                continue;
            }
            out.push(Landmark {
                hash: pack(a.f, df, dt),
                time: a.t,
            });
            taken += 1;
        }
    }
    out.sort_unstable_by_key(|l| (l.time, l.hash));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_keeps_fields_apart() {
        let h = pack(300, -5, 17);
        assert_eq!(unpack(h), (300, -5, 17));
        assert_ne!(pack(300, -5, 17), pack(300, 5, 17));
    }

    #[test]
    fn pairs_respect_the_zone() {
        let p = |t, f| Peak { t, f, db: 0.0 };
        let peaks = [p(0, 100), p(2, 110), p(3, 400), p(100, 100)];
        let cfg = FingerprintConfig::default();
        let lm = pair_peaks(&peaks, &cfg, 5);
        // (0,100)-(2,110) only: 400 is too far in frequency, t=100 too late.
        assert_eq!(
            lm,
            vec![Landmark {
                hash: pack(100, 10, 2),
                time: 0
            }]
        );
    }
}
