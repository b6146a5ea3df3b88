//! Clip evidence for training and evaluation: sound files -> decoded, optionally augmented
//! 16 kHz audio -> window embeddings (mn04), AudioSet scores and landmarks, on several threads.

use super::dataset::{Role, SoundItem};
use super::Progress;
use crate::augment;
use crate::embed::efficientat::Mn04;
use crate::embed::EMBEDDING_DIM;
use crate::fingerprint::{extract_landmarks, FingerprintConfig, Landmark};
use crate::matcher::{clip_embedding, Analyzer};
use anyhow::Result;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Which version of a clip the evidence was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The clip as recorded.
    Clean,
    /// The n-th training augmentation (see [`augment_clip`]).
    Augmented(usize),
}

/// Everything the analyzer saw in one clip variant.
#[derive(Debug, Clone)]
pub struct ClipEvidence {
    /// Clip name (file stem), used for fingerprints.
    pub name: String,
    /// Source file.
    pub path: PathBuf,
    /// Recording id (split unit).
    pub recording: String,
    /// Class id when the clip is of a class.
    pub class_id: Option<u16>,
    /// Role in the corpus.
    pub role: Role,
    /// The source's own label ([`SoundItem::label`]).
    pub label: String,
    /// Clean or augmented.
    pub variant: Variant,
    /// Length of the decoded clip, in samples at 16 kHz (0 when it did not decode).
    pub samples: usize,
    /// Non-silent window embeddings.
    pub embeddings: Vec<Vec<f32>>,
    /// Non-silent window AudioSet scores.
    pub scores: Vec<Vec<f32>>,
    /// Landmarks of the clean clip, when requested.
    pub landmarks: Option<Vec<Landmark>>,
    /// Why the clip could not be used.
    pub error: Option<String>,
}

impl ClipEvidence {
    /// Borrowed window embeddings.
    pub fn embedding_refs(&self) -> Vec<&[f32]> {
        self.embeddings.iter().map(Vec::as_slice).collect()
    }
    /// Borrowed window scores.
    pub fn score_refs(&self) -> Vec<&[f32]> {
        self.scores.iter().map(Vec::as_slice).collect()
    }
    /// The clip embedding the head sees.
    pub fn clip_embedding(&self) -> Vec<f32> {
        clip_embedding(&self.embedding_refs(), EMBEDDING_DIM)
    }
}

/// Reads a sound file (or a zip member, `<archive>.zip/<member>`) as mono 16 kHz samples.
pub fn load_16k(path: &std::path::Path) -> Result<Vec<f32>, crate::audio::AudioError> {
    let bytes = super::aihub::source::read(path)
        .map_err(|e| crate::audio::AudioError::Io(format!("{}: {e}", path.display())))?;
    let ext = path.extension().and_then(|e| e.to_str());
    let decoded = crate::audio::decode::decode_bytes(bytes, ext)?;
    crate::audio::prepare(&decoded.samples, decoded.sample_rate)
}

fn seed_of(name: &str, n: usize) -> u64 {
    // FNV-1a: stable across runs and platforms.
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    h.write(name.as_bytes());
    h.write(&(n as u64).to_le_bytes());
    h.finish()
}

/// The n-th training augmentation of a clip: even n adds pink or white noise at 5–30 dB SNR, odd n plays it
/// "through a phone in a room" (band-pass, reverb, mild clipping) with light noise; both with a gain of −20..+6 dB.
pub fn augment_clip(samples: &[f32], name: &str, n: usize) -> Vec<f32> {
    let seed = seed_of(name, n);
    let u = |k: u64| ((seed.rotate_left(k as u32 * 13) >> 11) as f64 / (1u64 << 53) as f64) as f32;
    let snr = 5.0 + 25.0 * u(1);
    let out = if n % 2 == 0 {
        if u(2) < 0.5 {
            augment::add_pink_noise(samples, snr, seed)
        } else {
            augment::add_white_noise(samples, snr, seed)
        }
    } else {
        let phone = augment::phone_and_room(samples, crate::audio::TARGET_RATE, seed);
        augment::add_pink_noise(&phone, 15.0 + 15.0 * u(3), seed ^ 1)
    };
    augment::gain_db(&out, -20.0 + 26.0 * u(4))
}

/// Analyses every item's variants on `threads` threads; results keep the input order.
pub fn collect(
    model: &Arc<Mn04>,
    items: &[SoundItem],
    variants: &(dyn Fn(&SoundItem) -> Vec<Variant> + Sync),
    threads: usize,
    with_landmarks: bool,
    progress: Progress,
) -> Result<Vec<ClipEvidence>> {
    collect_with(
        model,
        items,
        variants,
        threads,
        with_landmarks,
        progress,
        &|s, _| s.to_vec(),
    )
}

/// Like [`collect`], with `transform` applied to every decoded clip first (for robustness evaluation).
#[allow(clippy::too_many_arguments)]
pub fn collect_with(
    model: &Arc<Mn04>,
    items: &[SoundItem],
    variants: &(dyn Fn(&SoundItem) -> Vec<Variant> + Sync),
    threads: usize,
    with_landmarks: bool,
    progress: Progress,
    transform: &(dyn Fn(&[f32], &str) -> Vec<f32> + Sync),
) -> Result<Vec<ClipEvidence>> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Vec<ClipEvidence>>>> = Mutex::new(vec![None; items.len()]);
    let fp_cfg = FingerprintConfig::default();
    let total = items.len() as u64;
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut analyzer = Analyzer::new(Arc::clone(model));
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let name = item
                        .path
                        .file_stem()
                        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                    let base = ClipEvidence {
                        name: name.clone(),
                        path: item.path.clone(),
                        recording: item.recording.clone(),
                        class_id: item.class_id,
                        role: item.role,
                        label: item.label.clone(),
                        variant: Variant::Clean,
                        samples: 0,
                        embeddings: Vec::new(),
                        scores: Vec::new(),
                        landmarks: None,
                        error: None,
                    };
                    let out = match load_16k(&item.path) {
                        Err(e) => vec![ClipEvidence {
                            error: Some(format!("{}: {e}", item.path.display())),
                            ..base
                        }],
                        Ok(samples) => {
                            let samples = transform(&samples, &name);
                            variants(item)
                                .into_iter()
                                .map(|variant| {
                                    let audio = match variant {
                                        Variant::Clean => samples.clone(),
                                        Variant::Augmented(n) => augment_clip(&samples, &name, n),
                                    };
                                    let analysis = analyzer.analyse(&audio);
                                    let landmarks = (with_landmarks && variant == Variant::Clean)
                                        .then(|| extract_landmarks(&audio, &fp_cfg));
                                    ClipEvidence {
                                        variant,
                                        samples: audio.len(),
                                        embeddings: analysis
                                            .windows
                                            .iter()
                                            .flatten()
                                            .map(|p| p.embedding.clone())
                                            .collect(),
                                        scores: analysis
                                            .windows
                                            .iter()
                                            .flatten()
                                            .map(|p| p.scores.clone())
                                            .collect(),
                                        landmarks,
                                        ..base.clone()
                                    }
                                })
                                .collect()
                        }
                    };
                    results
                        .lock()
                        .expect("no worker panics while holding the lock")[i] = Some(out);
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress("analysing clips", d as u64, total);
                }
            });
        }
    });
    Ok(results
        .into_inner()
        .expect("workers finished")
        .into_iter()
        .flatten()
        .flatten()
        .collect())
}
