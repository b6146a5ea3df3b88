//! The mel filterbank: a magnitude spectrum (`fft_len / 2 + 1` bins) -> `mel_bands` energies.
//!
//! Built like TensorFlow's `tf.signal.linear_to_mel_weight_matrix`:
//!
//! - mel scale (HTK): `mel(f) = 1127 ln(1 + f / 700)`;
//! - the bins sit at `linspace(0, sample_rate / 2, bins)` Hz; bin 0 (DC) gets weight 0;
//! - `mel_bands + 2` edges equally spaced in mel from `mel(mel_min_hz)` to `mel(mel_max_hz)`;
//!   band `b` is the triangle over edges `b, b+1, b+2`: weight
//!   `max(0, min((m - lower) / (center - lower), (upper - m) / (upper - center)))` with `m`
//!   the bin's mel value. Triangles are not area-normalised (peak weight ≤ 1).
//!
//! The weights are computed in `f64` and stored as `f32`; only each band's non-zero span is
//! kept, so applying the bank costs about two multiply-adds per bin.

use super::FeatureConfig;

/// HTK mel scale: `1127 ln(1 + hz / 700)`.
pub fn hz_to_mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// The dense weight matrix, `bins × bands` row-major (`w[bin * bands + band]`), exactly TF's
/// layout, with `bins = fft_len / 2 + 1`.
pub fn mel_weight_matrix(cfg: &FeatureConfig) -> Vec<f32> {
    let bins = cfg.fft_len / 2 + 1;
    let bands = cfg.mel_bands;
    let mut w = vec![0.0f32; bins * bands];
    if bins < 2 || bands == 0 {
        return w;
    }
    let nyquist = f64::from(cfg.sample_rate) / 2.0;
    let lo = hz_to_mel(f64::from(cfg.mel_min_hz));
    let hi = hz_to_mel(f64::from(cfg.mel_max_hz));
    let edges: Vec<f64> = (0..bands + 2)
        .map(|i| lo + (hi - lo) * i as f64 / (bands + 1) as f64)
        .collect();
    // Bin 0 (DC) stays zero, as in HTK / TF.
    for bin in 1..bins {
        let hz = nyquist * bin as f64 / (bins - 1) as f64;
        let m = hz_to_mel(hz);
        for band in 0..bands {
            let (lower, center, upper) = (edges[band], edges[band + 1], edges[band + 2]);
            let up = (m - lower) / (center - lower);
            let down = (upper - m) / (upper - center);
            let v = up.min(down).max(0.0);
            w[bin * bands + band] = v as f32;
        }
    }
    w
}

/// A sparse mel filterbank: for each band, the first non-zero bin and its weights.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    bins: usize,
    /// `(first_bin, weights)` per band.
    bands: Vec<(usize, Vec<f32>)>,
}

impl MelFilterbank {
    /// Builds the bank for `cfg` (see the module docs).
    pub fn new(cfg: &FeatureConfig) -> Self {
        let bins = cfg.fft_len / 2 + 1;
        let n_bands = cfg.mel_bands;
        let dense = mel_weight_matrix(cfg);
        let bands = (0..n_bands)
            .map(|band| {
                let col: Vec<f32> = (0..bins).map(|bin| dense[bin * n_bands + band]).collect();
                match col.iter().position(|&v| v > 0.0) {
                    Some(first) => {
                        let last = col.iter().rposition(|&v| v > 0.0).unwrap_or(first);
                        (first, col[first..=last].to_vec())
                    }
                    None => (0, Vec::new()),
                }
            })
            .collect();
        MelFilterbank { bins, bands }
    }

    /// Number of spectrum bins the bank expects.
    pub fn num_bins(&self) -> usize {
        self.bins
    }

    /// Number of mel bands it produces.
    pub fn num_bands(&self) -> usize {
        self.bands.len()
    }

    /// The first bin and weights of band `band`, or `None` past the last band.
    pub fn band(&self, band: usize) -> Option<(usize, &[f32])> {
        self.bands.get(band).map(|(s, w)| (*s, w.as_slice()))
    }

    /// Writes `ln(bank · magnitude + log_offset)` into `out`.
    ///
    /// # Panics
    /// If `magnitude.len() != self.num_bins()` or `out.len() != self.num_bands()`.
    pub fn apply_log(&self, magnitude: &[f32], log_offset: f32, out: &mut [f32]) {
        assert_eq!(magnitude.len(), self.bins, "spectrum length");
        assert_eq!(out.len(), self.bands.len(), "output length");
        for (o, (start, weights)) in out.iter_mut().zip(&self.bands) {
            let energy: f32 = weights
                .iter()
                .zip(&magnitude[*start..*start + weights.len()])
                .map(|(w, m)| w * m)
                .sum();
            *o = (energy + log_offset).ln();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_bank_shape() {
        let cfg = FeatureConfig::display();
        let w = mel_weight_matrix(&cfg);
        assert_eq!(w.len(), 257 * 64);
        // DC row is zero; weights never exceed 1.
        assert!(w[..64].iter().all(|&v| v == 0.0));
        assert!(w.iter().all(|&v| (0.0..=1.0).contains(&v)));
        // Every band has at least one non-zero bin (bins are 31.25 Hz apart, bands wider).
        let bank = MelFilterbank::new(&cfg);
        for b in 0..64 {
            assert!(!bank.band(b).unwrap().1.is_empty(), "band {b}");
        }
        // Nothing at or above 7500 Hz (bin 240).
        assert!(w[240 * 64..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn mel_scale_points() {
        assert!((hz_to_mel(700.0) - 1127.0 * 2f64.ln()).abs() < 1e-9);
        assert_eq!(hz_to_mel(0.0), 0.0);
    }
}
