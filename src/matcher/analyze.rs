//! Analysis windows: 16 kHz samples -> one YAMNet patch embedding per 0.96 s window (0.48 s hop).
//!
//! Each window is loudness-normalised on its own before the log-mel, so a file, a live
//! microphone and a quiet or loud recording of the same sound all reach the model at the
//! same level; windows that are silent before normalisation are skipped.

use crate::audio;
use crate::embed::{PatchEmbedding, Scratch, YamNet};
use crate::features::{FeatureConfig, LogMel, LogMelExtractor};
use std::sync::Arc;

/// Samples in one analysis window: 96 log-mel frames (0.975 s at 16 kHz).
pub const WINDOW_SAMPLES: usize = 15_600;
/// Samples between window starts: 48 frames (0.48 s).
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

/// Turns 16 kHz audio into patch embeddings; owns the log-mel extractor and model scratch space.
pub struct Analyzer {
    model: Arc<YamNet>,
    extractor: LogMelExtractor,
    scratch: Scratch,
    window: Vec<f32>,
}

impl Analyzer {
    /// A new analyzer over `model` with YAMNet's feature configuration.
    pub fn new(model: Arc<YamNet>) -> Self {
        Analyzer {
            scratch: model.new_scratch(),
            model,
            extractor: LogMelExtractor::new(&FeatureConfig::yamnet()),
            window: vec![0.0; WINDOW_SAMPLES],
        }
    }

    /// Window starts for a clip of `len` samples, following YAMNet's padding: at least one
    /// window, then one more per started hop.
    pub fn window_starts(len: usize) -> Vec<usize> {
        let extra = len.saturating_sub(WINDOW_SAMPLES);
        let n = 1 + extra.div_ceil(HOP_SAMPLES);
        (0..n).map(|i| i * HOP_SAMPLES).collect()
    }

    /// The log-mel patch YAMNet sees for one window: the window zero-padded to [`WINDOW_SAMPLES`],
    /// sanitised and loudness-normalised; `None` if it is silent.
    pub fn window_logmel(&mut self, samples16k: &[f32]) -> Option<LogMel> {
        let n = samples16k.len().min(WINDOW_SAMPLES);
        self.window[..n].copy_from_slice(&samples16k[..n]);
        self.window[n..].iter_mut().for_each(|v| *v = 0.0);
        audio::sanitize(&mut self.window);
        if audio::is_silent(&self.window[..n.max(1)]) {
            return None;
        }
        audio::normalise_loudness(&mut self.window);
        let logmel = self.extractor.compute(&self.window);
        debug_assert_eq!(logmel.frames, crate::embed::PATCH_FRAMES);
        Some(logmel)
    }

    /// Embeds one window (zero-padded to [`WINDOW_SAMPLES`]); `None` if it is silent.
    pub fn analyse_window(&mut self, samples16k: &[f32]) -> Option<PatchEmbedding> {
        let logmel = self.window_logmel(samples16k)?;
        Some(self.model.embed_patch(logmel.patch(0), &mut self.scratch))
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
    fn window_starts_follow_yamnet_padding() {
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
