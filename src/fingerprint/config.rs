//! Fingerprint parameters: analysis constants, [`FingerprintConfig`] and its defaults.
//!
//! Input: nothing (plain data). Output: the settings read by the peak picker
//! ([`super::peaks`]), the landmark hasher ([`super::landmarks`]) and the matcher
//! ([`super::table`]).

/// Sample rate the fingerprinter expects (the rate of [`crate::audio::TARGET_RATE`]).
pub const SAMPLE_RATE: u32 = 16_000;
/// STFT window length in samples (64 ms, Hann): 15.6 Hz per bin.
pub const FFT_SIZE: usize = 1024;
/// STFT hop in samples: one fingerprint frame.
pub const HOP: usize = 256;
/// Duration of one fingerprint frame in seconds (`HOP / SAMPLE_RATE` = 16 ms).
pub const FRAME_SECONDS: f32 = HOP as f32 / SAMPLE_RATE as f32;
/// Number of spectrum bins per frame (`FFT_SIZE / 2 + 1`).
pub const NUM_BINS: usize = FFT_SIZE / 2 + 1;

/// Settings of landmark extraction and matching.
///
/// Reference recordings are fingerprinted sparsely (`peaks_per_second`, `fan_out`) to keep the
/// index small; queries are fingerprinted densely (`query_peaks_per_second`, `query_fan_out`)
/// so that the query's landmarks contain most of the reference's. Both sides must use the same
/// hash-defining fields (see [`FingerprintConfig::hash_key`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FingerprintConfig {
    /// Lowest peak frequency in Hz. Default: `350.0` (inside the telephone band, so that
    /// band-limited playback keeps the peaks).
    pub min_freq_hz: f32,
    /// Highest peak frequency in Hz. Default: `3200.0` (idem).
    pub max_freq_hz: f32,
    /// A peak is the maximum of its neighbourhood of ± this many bins. Default: `2` (±31 Hz).
    pub peak_radius_bins: usize,
    /// ... and ± this many frames. Default: `2` (±32 ms).
    pub peak_radius_frames: usize,
    /// Peaks quieter than this (dB of Hann-windowed power, ~dBFS + 48) are ignored.
    /// Default: `-60.0` (a sine at about −108 dBFS): low enough for quiet recordings at any
    /// gain, high enough to skip digital silence.
    pub min_peak_db: f32,
    /// Peaks are ranked by their level minus the mean level of ± this many bins around them
    /// in the same frame (spectral whitening, so that filtering does not change the ranking);
    /// `0` ranks by raw level. Default: `0` (whitening made peaks less robust to pink noise).
    pub whiten_bins: usize,
    /// Reference side: keep a peak only if fewer than this many stronger peaks lie within
    /// ±0.5 s of it (≈ peaks per second). Default: `8.0`.
    pub peaks_per_second: f32,
    /// Reference side: targets paired with each anchor peak. Default: `2` (with 8 peaks per
    /// second: ≈ 15 landmarks per second of reference audio).
    pub fan_out: usize,
    /// Query side: like `peaks_per_second`, denser. Default: `16.0`.
    pub query_peaks_per_second: f32,
    /// Query side: like `fan_out`, wider. Default: `16`.
    pub query_fan_out: usize,
    /// Smallest anchor-to-target distance in frames. Default: `1`.
    pub min_dt: u16,
    /// Largest anchor-to-target distance in frames (at most 127). Default: `60` (0.96 s).
    pub max_dt: u16,
    /// Largest anchor-to-target frequency distance in bins (at most 127). Default: `100`
    /// (1.56 kHz).
    pub max_df: u16,
    /// Queries also look up the hashes whose `f1`, `Δf` and `Δt` each differ by ± this many
    /// bins/frames (0 or 1; 1 means 27 look-ups per landmark). This absorbs the peak jitter
    /// caused by noise, filtering and a query that is not frame-aligned. Default: `1`.
    pub query_jitter: u16,
    /// A hit needs at least this many time-aligned matching landmarks beyond the recording's
    /// own background (its best window at another offset). Default: `8`.
    pub min_aligned: u32,
    /// ... and at least this many times the same excess of the best recording with another
    /// name. Default: `2.0`.
    pub min_margin: f32,
}

impl Default for FingerprintConfig {
    fn default() -> Self {
        Self {
            min_freq_hz: 350.0,
            max_freq_hz: 3200.0,
            peak_radius_bins: 2,
            peak_radius_frames: 2,
            min_peak_db: -60.0,
            whiten_bins: 0,
            peaks_per_second: 8.0,
            fan_out: 2,
            query_peaks_per_second: 16.0,
            query_fan_out: 16,
            min_dt: 1,
            max_dt: 60,
            max_df: 100,
            query_jitter: 1,
            min_aligned: 8,
            min_margin: 2.0,
        }
    }
}

impl FingerprintConfig {
    /// First and one-past-last STFT bin searched for peaks (clamped to the spectrum).
    pub(crate) fn bin_range(&self) -> (usize, usize) {
        let hz_per_bin = SAMPLE_RATE as f32 / FFT_SIZE as f32;
        let to_bin = |hz: f32| {
            if hz.is_finite() {
                (hz / hz_per_bin).round().clamp(0.0, (NUM_BINS - 1) as f32) as usize
            } else {
                NUM_BINS - 1
            }
        };
        let lo = to_bin(self.min_freq_hz.max(0.0));
        let hi = (to_bin(self.max_freq_hz) + 1).clamp(lo, NUM_BINS);
        (lo, hi)
    }

    /// `max_dt` and `max_df` clamped to what the hash layout can hold.
    pub(crate) fn zone(&self) -> (u16, u16, u16) {
        let max_dt = self.max_dt.min(super::landmarks::MAX_HASH_DT);
        let min_dt = self.min_dt.min(max_dt);
        (
            min_dt,
            max_dt,
            self.max_df.min(super::landmarks::MAX_HASH_DF),
        )
    }

    /// A CRC-32 of every field that changes which hashes a signal produces (frequency range,
    /// peak neighbourhood and threshold, densities, fan-outs, target zone) plus the analysis
    /// constants. Store it in an index and compare at load time: reference hashes built with a
    /// different key will not match.
    pub fn hash_key(&self) -> u32 {
        let mut h = crc32fast::Hasher::new();
        h.update(b"sori-fp-v1");
        for v in [SAMPLE_RATE as u64, FFT_SIZE as u64, HOP as u64] {
            h.update(&v.to_le_bytes());
        }
        for v in [
            self.min_freq_hz,
            self.max_freq_hz,
            self.min_peak_db,
            self.peaks_per_second,
            self.query_peaks_per_second,
        ] {
            h.update(&v.to_le_bytes());
        }
        for v in [
            self.peak_radius_bins as u64,
            self.peak_radius_frames as u64,
            self.whiten_bins as u64,
            self.fan_out as u64,
            self.query_fan_out as u64,
            u64::from(self.min_dt),
            u64::from(self.max_dt),
            u64::from(self.max_df),
        ] {
            h.update(&v.to_le_bytes());
        }
        h.finalize()
    }
}
