//! Loudness: mono samples (normally 16 kHz) -> the same samples at a fixed level, plus
//! [`Loudness`] measurements, and the [`is_silent`] test.
//!
//! AudioSet models are trained on clips at typical broadcast levels; fed the same sound 20 dB
//! quieter, YAMNet (Sori's model before mn04) lost about 23 accuracy points. [`normalise_loudness`] therefore brings the
//! *active* part of a window to [`TARGET_RMS_DB`]:
//!
//! 1. The samples are cut into blocks of [`LOUDNESS_BLOCK`] samples (25 ms at 16 kHz; a
//!    trailing partial block counts with its own length) and each block's RMS is measured.
//! 2. A block is *active* when its RMS is at least [`SILENCE_DB`] (absolute gate) and within
//!    [`RELATIVE_GATE_DB`] of the loudest block (relative gate, so pauses in a sound do not
//!    pull its level down). Both gates scale with the signal, except the absolute one, which
//!    only matters for windows whose loudest block is below -50 dBFS.
//! 3. The gain brings the active RMS to the target, but never above [`MAX_GAIN_DB`] and never
//!    so high that the peak would exceed [`PEAK_LIMIT`]. Quiet input is boosted and loud input
//!    attenuated.
//!
//! A window with no active block is silence and is left untouched (gain 0 dB).

/// Level the active part of a window is brought to: -20 dBFS RMS.
pub const TARGET_RMS_DB: f32 = -20.0;

/// Largest boost [`normalise_loudness`] applies: +50 dB.
pub const MAX_GAIN_DB: f32 = 50.0;

/// Highest absolute sample value after normalisation: 0.99.
pub const PEAK_LIMIT: f32 = 0.99;

/// Blocks quieter than this (RMS, dBFS) are silence: -70 dBFS.
pub const SILENCE_DB: f32 = -70.0;

/// Blocks more than this many dB below the loudest block are not active: 20 dB.
pub const RELATIVE_GATE_DB: f32 = 20.0;

/// Block length for loudness measurement, in samples: 400 (25 ms at 16 kHz).
pub const LOUDNESS_BLOCK: usize = 400;

/// What [`normalise_loudness`] measured and did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    /// RMS level of the active blocks *before* normalisation, in dBFS (`-inf` for digital
    /// silence).
    pub rms_db: f32,
    /// Largest absolute sample value *before* normalisation.
    pub peak: f32,
    /// Gain applied, in dB (0 for silence; negative when the input was attenuated).
    pub gain_db: f32,
}

fn to_db(power: f64) -> f32 {
    if power > 0.0 {
        (10.0 * power.log10()) as f32
    } else {
        f32::NEG_INFINITY
    }
}

/// Mean power of each [`LOUDNESS_BLOCK`]-sample block (the last one may be shorter).
fn block_powers(samples: &[f32]) -> impl Iterator<Item = (f64, usize)> + '_ {
    samples.chunks(LOUDNESS_BLOCK).map(|b| {
        let sum: f64 = b.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
        (sum / b.len() as f64, b.len())
    })
}

/// True when no [`LOUDNESS_BLOCK`]-sample block of `samples` reaches [`SILENCE_DB`] (-70 dBFS
/// RMS), i.e. nothing in the window is audible. Empty input is silent. Non-finite samples
/// count as loud (sanitise first).
pub fn is_silent(samples: &[f32]) -> bool {
    let gate = 10f64.powf(f64::from(SILENCE_DB) / 10.0);
    !block_powers(samples).any(|(p, _)| p >= gate || p.is_nan())
}

/// Brings the active part of `samples` to [`TARGET_RMS_DB`] in place (see the module docs
/// for the gating and limits) and reports what it measured and applied.
///
/// Silence (no block at or above [`SILENCE_DB`]) is left as it is, with `gain_db == 0`.
/// After the call no sample exceeds [`PEAK_LIMIT`] in absolute value unless the input was
/// silent. Because every gate is relative to the signal (above -50 dBFS), the same sound at
/// different levels comes out the same.
pub fn normalise_loudness(samples: &mut [f32]) -> Loudness {
    let peak = samples
        .iter()
        .filter(|s| s.is_finite())
        .fold(0.0f32, |m, s| m.max(s.abs()));
    let silence_gate = 10f64.powf(f64::from(SILENCE_DB) / 10.0);
    let loudest = block_powers(samples)
        .map(|(p, _)| p)
        .filter(|p| p.is_finite())
        .fold(0.0f64, f64::max);
    if loudest < silence_gate {
        let mean: f64 = block_powers(samples)
            .map(|(p, n)| p * n as f64)
            .sum::<f64>()
            / samples.len().max(1) as f64;
        return Loudness {
            rms_db: to_db(mean),
            peak,
            gain_db: 0.0,
        };
    }
    let gate = silence_gate.max(loudest * 10f64.powf(-f64::from(RELATIVE_GATE_DB) / 10.0));
    let (sum, count) = block_powers(samples)
        .filter(|(p, _)| *p >= gate)
        .fold((0.0f64, 0usize), |(s, c), (p, n)| (s + p * n as f64, c + n));
    let active_power = sum / count.max(1) as f64;
    let rms_db = to_db(active_power);
    let mut gain_db = (TARGET_RMS_DB - rms_db).min(MAX_GAIN_DB);
    if peak > 0.0 {
        let peak_room_db = 20.0 * (PEAK_LIMIT / peak).log10();
        gain_db = gain_db.min(peak_room_db);
    }
    let gain = 10f32.powf(gain_db / 20.0);
    for s in samples.iter_mut() {
        *s *= gain;
    }
    Loudness {
        rms_db,
        peak,
        gain_db,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(amp: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (i as f32 * 0.07).sin())
            .collect::<Vec<_>>()
    }

    #[test]
    fn brings_a_quiet_tone_to_target() {
        let mut x = tone(0.01, 16_000);
        let l = normalise_loudness(&mut x);
        assert!((l.rms_db - (-43.0)).abs() < 0.1, "{l:?}");
        let rms = (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        assert!((20.0 * rms.log10() - TARGET_RMS_DB).abs() < 0.05);
    }

    #[test]
    fn limits_gain_and_peak() {
        let mut x = tone(1e-5, 16_000); // -103 dBFS: silence, untouched
        let before = x.clone();
        assert_eq!(normalise_loudness(&mut x).gain_db, 0.0);
        assert_eq!(x, before);
        assert!(is_silent(&x));

        let mut y = tone(0.0002, 16_000); // -77 dBFS: under the -70 dBFS gate
        assert!(is_silent(&y));
        y[..LOUDNESS_BLOCK].iter_mut().for_each(|v| *v *= 4.0); // one block at -65 dBFS
        assert!(!is_silent(&y));
        // Only the block above the absolute gate is active: it is brought to the target, and no
        // gain can exceed MAX_GAIN_DB because active blocks are at least SILENCE_DB loud.
        let l = normalise_loudness(&mut y);
        assert!(
            (l.gain_db - (TARGET_RMS_DB - l.rms_db)).abs() < 1e-3,
            "{l:?}"
        );
        assert!(
            (l.rms_db + 65.0).abs() < 0.2 && l.gain_db <= MAX_GAIN_DB,
            "{l:?}"
        );

        // A spiky signal: a click on a quiet bed is limited by its peak.
        let mut z = tone(0.01, 16_000);
        z[8_000] = 0.9;
        let l = normalise_loudness(&mut z);
        assert!(z.iter().all(|v| v.abs() <= PEAK_LIMIT + 1e-6), "{l:?}");
    }

    #[test]
    fn silence_checks() {
        assert!(is_silent(&[]));
        assert!(is_silent(&vec![0.0; 1000]));
        assert!(!is_silent(&tone(0.1, 1000)));
        let mut quiet_then_loud = vec![0.0f32; 16_000];
        quiet_then_loud[15_800] = 0.5; // one click is audible
        assert!(!is_silent(&quiet_then_loud));
    }
}
