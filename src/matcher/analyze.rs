//! Analysis windows: 16 kHz samples -> one EfficientAT mn04 embedding per 0.975 s window (0.48 s
//! hop).
//!
//! Each window is loudness-normalised on its own before the log-mel, so a file, a live
//! microphone and a quiet or loud recording of the same sound all reach the model at the
//! same level; windows that are silent before normalisation are skipped. The window is
//! upsampled x2 to mn04's 32 kHz (`EfficientAtMel::compute_16k_into`): the analysis hears
//! 0–8 kHz, the band every corpus clip has and every microphone path keeps.

use crate::audio;
use crate::embed::efficientat::{Mn04, Mn04Output, Mn04Scratch};
use crate::embed::PatchEmbedding;
use crate::features::{EfficientAtMel, LogMel};
use std::sync::Arc;

/// Samples in one analysis window (0.975 s at 16 kHz).
pub const WINDOW_SAMPLES: usize = 15_600;
/// Samples between window starts (0.48 s).
pub const HOP_SAMPLES: usize = 7_680;

/// What the analyzer saw in a clip.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Start of each window in samples at 16 kHz.
    pub window_starts: Vec<usize>,
    /// One entry per window: `None` when the window was silent.
    pub windows: Vec<Option<PatchEmbedding>>,
}

impl Analysis {
    /// The embeddings of the non-silent windows.
    pub fn embeddings(&self) -> Vec<&[f32]> {
        self.windows
            .iter()
            .flatten()
            .map(|p| p.embedding.as_slice())
            .collect()
    }

    /// The AudioSet scores of the non-silent windows.
    pub fn scores(&self) -> Vec<&[f32]> {
        self.windows
            .iter()
            .flatten()
            .map(|p| p.scores.as_slice())
            .collect()
    }

    /// True when every window was silent.
    pub fn is_silent(&self) -> bool {
        self.windows.iter().all(Option::is_none)
    }
}

/// The window embedding the matcher learns from, taken from mn04's outputs: its pooled features.
pub fn window_embedding(out: &Mn04Output) -> Vec<f32> {
    out.features.clone()
}

/// Turns 16 kHz audio into window embeddings; owns the front end, the model's scratch space and
/// its buffers, so analysing a window allocates only the [`PatchEmbedding`] it returns.
pub struct Analyzer {
    model: Arc<Mn04>,
    front_end: EfficientAtMel,
    mel: LogMel,
    scratch: Mn04Scratch,
    output: Mn04Output,
    window: Vec<f32>,
}

impl Analyzer {
    /// A new analyzer over `model`.
    pub fn new(model: Arc<Mn04>) -> Self {
        Analyzer {
            scratch: model.new_scratch(),
            model,
            front_end: EfficientAtMel::new(),
            mel: LogMel::default(),
            output: Mn04Output::default(),
            window: vec![0.0; WINDOW_SAMPLES],
        }
    }

    /// Window starts for a clip of `len` samples: at least one window, then one more per started
    /// hop (the last window is zero-padded).
    pub fn window_starts(len: usize) -> Vec<usize> {
        let extra = len.saturating_sub(WINDOW_SAMPLES);
        let n = 1 + extra.div_ceil(HOP_SAMPLES);
        (0..n).map(|i| i * HOP_SAMPLES).collect()
    }

    /// Embeds one window (zero-padded to [`WINDOW_SAMPLES`], sanitised and loudness-normalised);
    /// `None` if it is silent.
    pub fn analyse_window(&mut self, samples16k: &[f32]) -> Option<PatchEmbedding> {
        let n = samples16k.len().min(WINDOW_SAMPLES);
        self.window[..n].copy_from_slice(&samples16k[..n]);
        self.window[n..].iter_mut().for_each(|v| *v = 0.0);
        audio::sanitize(&mut self.window);
        if audio::is_silent(&self.window[..n.max(1)]) {
            return None;
        }
        audio::normalise_loudness(&mut self.window);
        self.front_end.compute_16k_into(&self.window, &mut self.mel);
        self.model
            .forward_into(&self.mel, &mut self.scratch, &mut self.output)
            .expect("a window's mel (128 bands, 98 frames) is always a valid mn04 input");
        Some(PatchEmbedding {
            embedding: window_embedding(&self.output),
            scores: self.output.scores.clone(),
        })
    }

    /// The window of a clip that starts at sample `start` (cut short at the clip's end).
    pub fn window_at(samples16k: &[f32], start: usize) -> &[f32] {
        let end = (start + WINDOW_SAMPLES).min(samples16k.len());
        &samples16k[start.min(end)..end]
    }

    /// Embeds the window of a clip that starts at sample `start` (see [`Analyzer::window_at`]).
    pub fn analyse_at(&mut self, samples16k: &[f32], start: usize) -> Option<PatchEmbedding> {
        self.analyse_window(Self::window_at(samples16k, start))
    }

    /// Embeds every window of a clip.
    pub fn analyse(&mut self, samples16k: &[f32]) -> Analysis {
        let starts = Self::window_starts(samples16k.len());
        let windows = starts
            .iter()
            .map(|&s| self.analyse_at(samples16k, s))
            .collect();
        Analysis {
            window_starts: starts,
            windows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_starts_cover_the_clip() {
        assert_eq!(Analyzer::window_starts(0), vec![0]);
        assert_eq!(Analyzer::window_starts(WINDOW_SAMPLES), vec![0]);
        assert_eq!(
            Analyzer::window_starts(WINDOW_SAMPLES + 1),
            vec![0, HOP_SAMPLES]
        );
        // 5 s: (80000 - 15600) / 7680 = 8.4 -> 9 more windows.
        assert_eq!(Analyzer::window_starts(80_000).len(), 10);
    }
}
