//! Live listening: device-rate blocks (e.g. 128 samples at 44.1 or 48 kHz) -> rolling answers.
//!
//! [`LiveSession::push`] is cheap (resampling and display features only); [`LiveSession::poll`]
//! analyses the windows that became complete since the last poll and updates the answer from
//! the most recent few seconds of evidence: a first answer about 1 s after a sound starts,
//! steadier as more windows agree.

use super::{Analyzer, MatchResult, Matcher, HOP_SAMPLES, WINDOW_SAMPLES};
use crate::audio::{self, StreamResampler, TARGET_RATE};
use crate::embed::PatchEmbedding;
use crate::features::{FeatureConfig, LogMel, LogMelExtractor};
use std::collections::VecDeque;
use std::sync::Arc;

/// Windows of evidence the live answer is computed from (6 windows ≈ 3.4 s).
pub const EVIDENCE_WINDOWS: usize = 6;
/// Consecutive silent windows after which the answer becomes `silence`.
const SILENT_WINDOWS_FOR_SILENCE: usize = 2;
/// Audio kept for fingerprint look-ups, in 16 kHz samples (5 s).
const FINGERPRINT_SAMPLES: usize = 5 * TARGET_RATE as usize;
/// Windows analysed at most per poll, so one poll never stalls the page.
const MAX_WINDOWS_PER_POLL: usize = 2;

/// What changed since the last poll.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LiveUpdate {
    /// Input level of the latest blocks, dBFS (−100 for digital silence).
    pub level_db: f32,
    /// Dominant frequency of the last 0.5 s, when there is sound.
    pub peak_hz: Option<f32>,
    /// New display log-mel frames since the last poll, row-major `n x 64`.
    pub mel_frames: Vec<f32>,
    /// Seconds of audio heard since the session started.
    pub heard_seconds: f32,
    /// A new answer, when a window was analysed during this poll.
    pub result: Option<MatchResult>,
}

/// A live microphone session at the device's sample rate.
pub struct LiveSession {
    device_rate: u32,
    resampler: StreamResampler,
    analyzer: Analyzer,
    matcher: Arc<Matcher>,
    display: LogMelExtractor,
    display_frames: LogMel,
    /// 16 kHz samples; `buffer[0]` is absolute sample `buffer_start`.
    buffer: Vec<f32>,
    buffer_start: usize,
    next_window: usize,
    /// Raw device-rate samples of the last 0.5 s, for the peak-frequency readout.
    recent_raw: VecDeque<f32>,
    evidence: VecDeque<Option<PatchEmbedding>>,
    level_db: f32,
    heard_device_samples: u64,
}

impl LiveSession {
    /// Starts a session for audio arriving at `device_rate` Hz.
    pub fn new(
        model: Arc<crate::embed::efficientat::Mn04>,
        matcher: Arc<Matcher>,
        device_rate: u32,
    ) -> Result<Self, audio::AudioError> {
        let resampler = StreamResampler::new(device_rate)?;
        let cfg = FeatureConfig::display();
        Ok(LiveSession {
            device_rate,
            resampler,
            analyzer: Analyzer::new(model),
            matcher,
            display: LogMelExtractor::new(&cfg),
            display_frames: LogMel {
                bands: cfg.mel_bands,
                frames: 0,
                data: Vec::new(),
            },
            buffer: Vec::new(),
            buffer_start: 0,
            next_window: 0,
            recent_raw: VecDeque::new(),
            evidence: VecDeque::new(),
            level_db: -100.0,
            heard_device_samples: 0,
        })
    }

    /// Feeds one block of mono samples at the device rate.
    pub fn push(&mut self, block: &[f32]) {
        if block.is_empty() {
            return;
        }
        let mut clean = block.to_vec();
        audio::sanitize(&mut clean);
        self.heard_device_samples += clean.len() as u64;
        let ms = clean.iter().map(|v| v * v).sum::<f32>() / clean.len() as f32;
        let db = if ms > 0.0 { 10.0 * ms.log10() } else { -100.0 };
        // Fast attack, slow release, like a VU meter.
        self.level_db = if db > self.level_db {
            db
        } else {
            0.9 * self.level_db + 0.1 * db
        }
        .max(-100.0);
        let keep = (self.device_rate / 2) as usize;
        self.recent_raw.extend(clean.iter().copied());
        while self.recent_raw.len() > keep {
            self.recent_raw.pop_front();
        }
        let before = self.buffer.len();
        self.resampler.push(&clean, &mut self.buffer);
        self.display
            .push(&self.buffer[before..], &mut self.display_frames);
    }

    /// Analyses what became complete and reports what changed.
    pub fn poll(&mut self) -> LiveUpdate {
        let mut result = None;
        for _ in 0..MAX_WINDOWS_PER_POLL {
            let local = self.next_window - self.buffer_start;
            if self.buffer.len() < local + WINDOW_SAMPLES {
                break;
            }
            let window = self
                .analyzer
                .analyse_window(&self.buffer[local..local + WINDOW_SAMPLES]);
            self.evidence.push_back(window);
            while self.evidence.len() > EVIDENCE_WINDOWS {
                self.evidence.pop_front();
            }
            self.next_window += HOP_SAMPLES;
            result = Some(self.answer());
        }
        self.trim_buffer();
        let raw: Vec<f32> = self.recent_raw.iter().copied().collect();
        let peak_hz = if raw.len() >= (self.device_rate / 4) as usize && !audio::is_silent(&raw) {
            crate::features::dominant_frequency(&raw, self.device_rate)
        } else {
            None
        };
        let mel_frames = std::mem::take(&mut self.display_frames.data);
        self.display_frames.frames = 0;
        LiveUpdate {
            level_db: self.level_db,
            peak_hz,
            mel_frames,
            heard_seconds: self.heard_device_samples as f32 / self.device_rate as f32,
            result,
        }
    }

    /// Forgets all evidence (e.g. after the kiosk shows an answer).
    pub fn reset(&mut self) {
        self.evidence.clear();
    }

    fn answer(&self) -> MatchResult {
        let silent_tail = self
            .evidence
            .iter()
            .rev()
            .take_while(|w| w.is_none())
            .count();
        if silent_tail >= SILENT_WINDOWS_FOR_SILENCE.min(self.evidence.len()) && silent_tail > 0 {
            return MatchResult::silence();
        }
        let embeddings: Vec<&[f32]> = self
            .evidence
            .iter()
            .flatten()
            .map(|p| p.embedding.as_slice())
            .collect();
        let scores: Vec<&[f32]> = self
            .evidence
            .iter()
            .flatten()
            .map(|p| p.scores.as_slice())
            .collect();
        let end = self.next_window - self.buffer_start;
        let start = end.saturating_sub(FINGERPRINT_SAMPLES);
        let hit = self
            .matcher
            .identify(&self.buffer[start..end.min(self.buffer.len())]);
        self.matcher.decide(&embeddings, &scores, hit)
    }

    fn trim_buffer(&mut self) {
        // Keep the next window's samples and 5 s of history for fingerprints.
        let keep_from =
            (self.next_window.saturating_sub(FINGERPRINT_SAMPLES)).max(self.buffer_start);
        let drop = keep_from - self.buffer_start;
        if drop > 4 * TARGET_RATE as usize {
            self.buffer.drain(..drop);
            self.buffer_start = keep_from;
        }
    }
}
