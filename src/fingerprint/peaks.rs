//! Spectral peaks: 16 kHz samples -> log-power STFT -> time–frequency local maxima -> [`Peak`]s.
//!
//! A point is a peak when it is the largest value of its `±peak_radius_bins × ±peak_radius_frames`
//! neighbourhood and louder than `min_peak_db`. Density is then limited with a sliding rule that
//! does not depend on where the signal starts: a peak survives when fewer than `k` stronger
//! peaks lie within ±0.5 s of it. Queries use a larger `k` than references, so (away from the
//! edges) the query's peaks are a superset of the reference's.

use realfft::RealFftPlanner;

use super::config::{FingerprintConfig, FFT_SIZE, HOP};

/// Half-width in frames of the density window (±0.5 s ≈ ±31 frames).
const DENSITY_HALF_WINDOW: i32 = 31;
/// Frames cap: times are stored as `u16`.
const MAX_FRAMES: usize = u16::MAX as usize;

/// One spectral peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Peak {
    /// Frame index.
    pub t: u16,
    /// STFT bin.
    pub f: u16,
    /// Ranking score: log power in dB, minus the local spectral mean when whitening.
    pub db: f32,
}

/// Log-power spectrogram restricted to bins `lo..hi`, row-major by frame.
pub(crate) struct Spectrogram {
    pub frames: usize,
    pub lo: usize,
    pub width: usize,
    pub db: Vec<f32>,
    /// Local spectral mean (dB) per point, empty when whitening is off.
    pub mean: Vec<f32>,
}

impl Spectrogram {
    /// Hann-windowed STFT ([`FFT_SIZE`], hop [`HOP`]) of `samples`; non-finite samples count
    /// as 0. Audio shorter than one window is zero-padded to one frame; at most
    /// `u16::MAX` frames are analysed.
    pub(crate) fn compute(samples: &[f32], cfg: &FingerprintConfig) -> Self {
        let (lo, hi) = cfg.bin_range();
        let width = hi - lo;
        let frames = if samples.is_empty() || width == 0 {
            0
        } else if samples.len() < FFT_SIZE {
            1
        } else {
            (1 + (samples.len() - FFT_SIZE) / HOP).min(MAX_FRAMES)
        };
        let mut db = vec![0f32; frames * width];
        if frames == 0 {
            return Self {
                frames,
                lo,
                width,
                db,
                mean: Vec::new(),
            };
        }
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(FFT_SIZE);
        let window: Vec<f32> = (0..FFT_SIZE)
            .map(|i| {
                let x = std::f32::consts::TAU * i as f32 / FFT_SIZE as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        let mut input = fft.make_input_vec();
        let mut output = fft.make_output_vec();
        let mut scratch = fft.make_scratch_vec();
        for (t, row) in db.chunks_exact_mut(width).enumerate() {
            let start = t * HOP;
            let end = (start + FFT_SIZE).min(samples.len());
            input.fill(0.0);
            for ((dst, &s), &w) in input.iter_mut().zip(&samples[start..end]).zip(&window) {
                *dst = if s.is_finite() { s * w } else { 0.0 };
            }
            // Buffers come from the plan, so the lengths always match.
            if fft
                .process_with_scratch(&mut input, &mut output, &mut scratch)
                .is_err()
            {
                row.fill(f32::NEG_INFINITY);
                continue;
            }
            for (v, c) in row.iter_mut().zip(&output[lo..hi]) {
                *v = 10.0 * (c.norm_sqr() + 1e-12).log10();
            }
        }
        let mean = local_mean(&db, width, cfg.whiten_bins);
        Self {
            frames,
            lo,
            width,
            db,
            mean,
        }
    }

    fn at(&self, t: usize, i: usize) -> f32 {
        self.db[t * self.width + i]
    }

    /// All time–frequency local maxima above `cfg.min_peak_db`, sorted by `(t, f)`.
    ///
    /// Ties are broken by position (a point must be strictly larger than neighbours that come
    /// before it), so a plateau yields one peak.
    pub(crate) fn local_maxima(&self, cfg: &FingerprintConfig) -> Vec<Peak> {
        let rf = cfg.peak_radius_bins.max(1);
        let rt = cfg.peak_radius_frames;
        let mut out = Vec::new();
        for t in 0..self.frames {
            let t0 = t.saturating_sub(rt);
            let t1 = (t + rt).min(self.frames - 1);
            for i in 0..self.width {
                let v = self.at(t, i);
                if v.is_nan() || v < cfg.min_peak_db {
                    continue;
                }
                // Cheap rejection against the direct neighbours first.
                if (i > 0 && self.at(t, i - 1) >= v)
                    || (i + 1 < self.width && self.at(t, i + 1) > v)
                {
                    continue;
                }
                let i0 = i.saturating_sub(rf);
                let i1 = (i + rf).min(self.width - 1);
                if self.is_box_max(v, t, i, (t0, t1), (i0, i1)) {
                    let m = self.mean.get(t * self.width + i).copied().unwrap_or(0.0);
                    out.push(Peak {
                        t: t as u16,
                        f: (self.lo + i) as u16,
                        db: v - m,
                    });
                }
            }
        }
        out
    }

    fn is_box_max(
        &self,
        v: f32,
        t: usize,
        i: usize,
        ts: (usize, usize),
        is: (usize, usize),
    ) -> bool {
        for tt in ts.0..=ts.1 {
            let row = &self.db[tt * self.width..(tt + 1) * self.width];
            for (ii, &w) in row.iter().enumerate().take(is.1 + 1).skip(is.0) {
                let before = (tt, ii) < (t, i);
                if w > v || (before && w == v) {
                    return false;
                }
            }
        }
        true
    }
}

/// Mean of each row over ±`radius` bins (clamped at the row ends); empty when `radius` is 0.
fn local_mean(db: &[f32], width: usize, radius: usize) -> Vec<f32> {
    if radius == 0 || width == 0 {
        return Vec::new();
    }
    let mut out = vec![0f32; db.len()];
    let mut prefix = vec![0f64; width + 1];
    for (row, dst) in db.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
        for (k, &v) in row.iter().enumerate() {
            prefix[k + 1] = prefix[k] + f64::from(v);
        }
        for (i, d) in dst.iter_mut().enumerate() {
            let a = i.saturating_sub(radius);
            let b = (i + radius + 1).min(width);
            *d = ((prefix[b] - prefix[a]) / (b - a) as f64) as f32;
        }
    }
    out
}

/// Keeps the peaks that have fewer than `round(per_second)` stronger peaks within ±0.5 s.
/// Input and output are sorted by `(t, f)`.
pub(crate) fn limit_density(peaks: &[Peak], per_second: f32) -> Vec<Peak> {
    let k = if per_second.is_finite() {
        per_second.round().max(0.0) as usize
    } else {
        usize::MAX
    };
    let stronger = |a: &Peak, b: &Peak| a.db > b.db || (a.db == b.db && (a.t, a.f) < (b.t, b.f));
    let mut kept = Vec::with_capacity(peaks.len().min(4096));
    let mut lo = 0usize;
    for (idx, p) in peaks.iter().enumerate() {
        while i32::from(peaks[lo].t) < i32::from(p.t) - DENSITY_HALF_WINDOW {
            lo += 1;
        }
        let mut count = 0usize;
        for q in peaks[lo..].iter() {
            if i32::from(q.t) > i32::from(p.t) + DENSITY_HALF_WINDOW {
                break;
            }
            if stronger(q, p) {
                count += 1;
                if count >= k {
                    break;
                }
            }
        }
        if count < k {
            kept.push(peaks[idx]);
        }
    }
    kept
}
