//! Reference sounds (native only): per class, one short recording a visitor can play, for the
//! `<index>.sounds` companion file ([`crate::index::sounds`]).
//!
//! - **Which recording**: among the class's clean *training* clips (never a held-out one), those
//!   whose licence allows redistribution ([`licence::classify`]), the one whose clip embedding is
//!   nearest (Euclidean) the centroid of all the class's training clips: the most typical
//!   recording by what the matcher sees. Ties go to the earlier path.
//! - **Which part**: the loudest window of [`RefSoundOptions::seconds`] (energy in 10 ms hops),
//!   peak-normalised to −1 dBFS with 20 ms fades at both ends.
//! - **Encoding**: Ogg Vorbis, mono 16 kHz ([`vorbis`]), at the best quality of a fixed ladder
//!   that fits [`RefSoundOptions::max_bytes`]; longer rungs first (3 s, then 2.5 s and 2 s at
//!   lower qualities). The build reports each sound's bytes and the log-mel correlation of its
//!   round trip.
//!
//! A class whose recordings are all refused (non-commercial, unknown licence) gets no sound; the
//! report says why.

use super::dataset::{Dataset, Role};
use super::evidence::{ClipEvidence, Variant};
use super::licence::{self, Licence};
use super::vorbis;
use crate::embed::EMBEDDING_DIM;
use crate::index::sounds::{ClassSound, SoundSet};
use crate::matcher::clip_embedding;
use std::path::Path;

/// How reference sounds are made.
#[derive(Debug, Clone)]
pub struct RefSoundOptions {
    /// Largest encoded sound, in bytes. Default: 12 000.
    pub max_bytes: usize,
    /// Longest excerpt, in seconds. Default: 3.
    pub seconds: f32,
    /// Whether sounds under the hackathon dataset's own terms ([`Licence::DatasetTerms`]) may be
    /// made: only the one who holds the dataset decides that (`sori build --dataset-sounds`).
    /// Default: `false`.
    pub dataset_terms: bool,
}

impl Default for RefSoundOptions {
    fn default() -> Self {
        RefSoundOptions {
            max_bytes: 12_000,
            seconds: 3.0,
            dataset_terms: false,
        }
    }
}

/// The encoding ladder: (share of [`RefSoundOptions::seconds`], Vorbis quality), best first.
///
/// The 2 s rung at quality 0.1 is there for sounds whose energy sits in a band libvorbis/aoTuV
/// drops at quality 0 and 16 kHz: the electric shaver's excerpt lost its 3–4 kHz band at quality 0
/// (round-trip log-mel correlation 0.44, time-averaged spectrum 0.45) and keeps it at 0.1 (0.955,
/// 10,956 bytes); `examples/refsound_quality.rs` measures it.
pub const LADDER: [(f32, f32); 8] = [
    (1.0, 0.4),
    (1.0, 0.2),
    (1.0, 0.0),
    (5.0 / 6.0, 0.0),
    (2.0 / 3.0, 0.1),
    (2.0 / 3.0, 0.0),
    (2.0 / 3.0, -0.1),
    (2.0 / 3.0, -0.2),
];

/// A class's chosen sound with what the build says about it.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// The sound as shipped.
    pub sound: ClassSound,
    /// Log-mel correlation of the round trip (excerpt against decoded).
    pub correlation: f32,
    /// Vorbis quality used.
    pub quality: f32,
}

/// Whether a licence text allows a reference sound under `opts`; the short licence name if so.
pub fn permitted(text: &str, opts: &RefSoundOptions) -> Result<String, String> {
    match licence::classify(text) {
        Licence::Redistributable(name) => Ok(name),
        Licence::DatasetTerms if opts.dataset_terms => Ok(licence::DATASET_TERMS.to_string()),
        Licence::DatasetTerms => Err(format!(
            "{}: not shipped unless the build is told so (--dataset-sounds)",
            licence::DATASET_TERMS
        )),
        Licence::Refused(why) => Err(why),
    }
}

/// Start (in samples) of the loudest window of `len` samples (energy summed over 10 ms hops; the
/// earliest of equals). 0 when the clip is not longer than the window.
pub fn loudest_window(samples: &[f32], len: usize) -> usize {
    const HOP: usize = 160;
    if samples.len() <= len {
        return 0;
    }
    let hops: Vec<f64> = samples
        .chunks(HOP)
        .map(|c| c.iter().map(|&s| f64::from(s) * f64::from(s)).sum())
        .collect();
    let w = len.div_ceil(HOP).max(1);
    let last = (samples.len() - len) / HOP;
    let mut best = (f64::MIN, 0usize);
    let mut sum: f64 = hops.iter().take(w).sum();
    for start in 0..=last {
        if start > 0 {
            sum += hops.get(start + w - 1).copied().unwrap_or(0.0) - hops[start - 1];
        }
        if sum > best.0 + 1e-9 {
            best = (sum, start);
        }
    }
    best.1 * HOP
}

/// The excerpt as shipped: `len` samples from the loudest window, peak at −1 dBFS, 20 ms fades.
/// Returns its start in samples and the samples.
pub fn excerpt(samples: &[f32], len: usize) -> (usize, Vec<f32>) {
    let start = loudest_window(samples, len);
    let mut out: Vec<f32> = samples[start..(start + len).min(samples.len())].to_vec();
    let peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 1e-6 {
        let g = 0.891 / peak;
        out.iter_mut().for_each(|s| *s *= g);
    }
    let fade = (vorbis::SAMPLE_RATE as usize / 50).min(out.len() / 2);
    let n = out.len();
    for i in 0..fade {
        let g = i as f32 / fade as f32;
        out[i] *= g;
        out[n - 1 - i] *= g;
    }
    (start, out)
}

/// A clip's excerpt, encoded.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Where the excerpt starts in the clip, in samples.
    pub start: usize,
    /// The excerpt as encoded (normalised, faded).
    pub samples: Vec<f32>,
    /// The Ogg Vorbis bytes.
    pub bytes: Vec<u8>,
    /// Log-mel correlation of the round trip.
    pub correlation: f32,
    /// Vorbis quality used.
    pub quality: f32,
}

/// Lowest log-mel correlation of the round trip a rung is taken at when a later one does better.
pub const MIN_CORRELATION: f32 = 0.8;

/// Encodes a clip's reference excerpt at the first rung of [`LADDER`] that fits the budget and
/// keeps the sound (log-mel correlation at least [`MIN_CORRELATION`]); when no fitting rung keeps
/// it that well, the fitting rung that keeps it best.
///
/// # Errors
/// When no rung fits, or encoding fails.
pub fn encode_within_budget(samples: &[f32], opts: &RefSoundOptions) -> Result<Encoded, String> {
    let rate = vorbis::SAMPLE_RATE as f32;
    let mut smallest = usize::MAX;
    let mut best: Option<Encoded> = None;
    for (share, q) in LADDER {
        let len = ((opts.seconds * share * rate) as usize).min(samples.len());
        let (start, cut) = excerpt(samples, len);
        let (bytes, corr) = vorbis::encode_checked(&cut, q)?;
        smallest = smallest.min(bytes.len());
        if bytes.len() > opts.max_bytes {
            continue;
        }
        let e = Encoded {
            start,
            samples: cut,
            bytes,
            correlation: corr,
            quality: q,
        };
        if corr >= MIN_CORRELATION {
            return Ok(e);
        }
        if best.as_ref().is_none_or(|b| corr > b.correlation) {
            best = Some(e);
        }
    }
    best.ok_or_else(|| {
        format!(
            "no encoding fits {} bytes (smallest {smallest})",
            opts.max_bytes
        )
    })
}

/// One training clip that could give a class its sound.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// The clip's file.
    pub path: &'a Path,
    /// Its clip embedding (the mean part).
    pub embedding: Vec<f32>,
    /// Its licence text.
    pub licence: &'a str,
}

/// The order in which candidates of one class are tried: only those whose licence is
/// permitted, nearest the centroid of *all* candidates first (ties: earlier path).
pub fn ranked(candidates: &[Candidate], opts: &RefSoundOptions) -> Vec<usize> {
    if candidates.is_empty() {
        return Vec::new();
    }
    let dim = candidates[0].embedding.len();
    let mut centroid = vec![0.0f32; dim];
    for c in candidates {
        centroid
            .iter_mut()
            .zip(&c.embedding)
            .for_each(|(a, b)| *a += b / candidates.len() as f32);
    }
    let dist = |c: &Candidate| -> f32 {
        c.embedding
            .iter()
            .zip(&centroid)
            .map(|(a, b)| (a - b) * (a - b))
            .sum()
    };
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| permitted(candidates[i].licence, opts).is_ok())
        .collect();
    order.sort_by(|&a, &b| {
        dist(&candidates[a])
            .total_cmp(&dist(&candidates[b]))
            .then(candidates[a].path.cmp(candidates[b].path))
    });
    order
}

/// Chooses and encodes every class's reference sound from its training evidence. Returns the
/// sounds with their measures, and one line per class without one (why).
pub fn choose(
    data: &Dataset,
    root: &Path,
    evidence: &[ClipEvidence],
    opts: &RefSoundOptions,
) -> (Vec<Chosen>, Vec<String>) {
    let mut chosen = Vec::new();
    let mut missing = Vec::new();
    let credits: std::collections::HashMap<&Path, &str> = data
        .sounds
        .iter()
        .map(|s| (s.path.as_path(), s.credit.as_str()))
        .collect();
    for class in crate::taxonomy::classes() {
        let clips: Vec<&ClipEvidence> = evidence
            .iter()
            .filter(|e| {
                e.class_id == Some(class.id)
                    && e.role == Role::Class
                    && e.variant == Variant::Clean
                    && !e.embeddings.is_empty()
            })
            .collect();
        if clips.is_empty() {
            continue;
        }
        let candidates: Vec<Candidate> = clips
            .iter()
            .map(|e| Candidate {
                path: &e.path,
                embedding: clip_embedding(&e.embedding_refs(), EMBEDDING_DIM)[..EMBEDDING_DIM]
                    .to_vec(),
                licence: data.licences.get(&e.path).map_or("", String::as_str),
            })
            .collect();
        let order = ranked(&candidates, opts);
        if order.is_empty() {
            let mut reasons: Vec<String> = candidates
                .iter()
                .filter_map(|c| permitted(c.licence, opts).err())
                .collect();
            reasons.sort();
            reasons.dedup();
            missing.push(format!(
                "{}: none of its {} training clips may be shipped ({})",
                class.slug,
                candidates.len(),
                reasons.join("; ")
            ));
            continue;
        }
        let mut last_err = String::new();
        let mut done = false;
        for i in order {
            let c = &candidates[i];
            let samples = match super::evidence::load_16k(c.path) {
                Ok(s) if !s.is_empty() => s,
                Ok(_) => {
                    last_err = format!("{}: empty", c.path.display());
                    continue;
                }
                Err(e) => {
                    last_err = format!("{}: {e}", c.path.display());
                    continue;
                }
            };
            match encode_within_budget(&samples, opts) {
                Ok(Encoded {
                    start,
                    samples: cut,
                    bytes,
                    correlation,
                    quality,
                }) => {
                    let ms = |n: usize| (n as u64 * 1000 / u64::from(vorbis::SAMPLE_RATE)) as u32;
                    chosen.push(Chosen {
                        sound: ClassSound {
                            slug: class.slug.to_string(),
                            mime: "audio/ogg".into(),
                            licence: permitted(c.licence, opts).unwrap_or_default(),
                            credit: credits.get(c.path).copied().unwrap_or("").to_string(),
                            source: c
                                .path
                                .strip_prefix(root)
                                .unwrap_or(c.path)
                                .to_string_lossy()
                                .into_owned(),
                            start_ms: ms(start),
                            duration_ms: ms(cut.len()),
                            bytes,
                        },
                        correlation,
                        quality,
                    });
                    done = true;
                    break;
                }
                Err(e) => last_err = format!("{}: {e}", c.path.display()),
            }
        }
        if !done {
            missing.push(format!(
                "{}: no permitted clip could be encoded ({last_err})",
                class.slug
            ));
        }
    }
    (chosen, missing)
}

/// The set as shipped, and the build's report on it: one line per sound (bytes, length, quality,
/// round-trip correlation, licence, source), then the classes without one.
pub fn report(chosen: &[Chosen], missing: &[String]) -> (SoundSet, String) {
    let set = SoundSet {
        sounds: chosen.iter().map(|c| c.sound.clone()).collect(),
    };
    let mut text = format!("reference sounds: {}\n", set.describe());
    for c in chosen {
        let s = &c.sound;
        text.push_str(&format!(
            "  {:<22} {:>6} B  {:.1} s  q {:>4}  log-mel r {:.3}  {:<14} {}\n",
            s.slug,
            s.bytes.len(),
            s.duration_ms as f32 / 1000.0,
            c.quality,
            c.correlation,
            s.licence,
            s.source
        ));
    }
    for m in missing {
        text.push_str(&format!("  no reference sound: {m}\n"));
    }
    (set, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn cand<'a>(path: &'a Path, e: [f32; 2], licence: &'a str) -> Candidate<'a> {
        Candidate {
            path,
            embedding: e.to_vec(),
            licence,
        }
    }

    #[test]
    fn the_permitted_clip_nearest_the_centroid_is_chosen() {
        let p: Vec<PathBuf> = (0..5).map(|i| PathBuf::from(format!("c{i}.ogg"))).collect();
        // Centroid of all five: (1, 1). c0 sits on it but is non-commercial; c1 is the nearest
        // permitted one; c3 (unknown licence) and c4 (CC Sampling) are never chosen.
        let c = vec![
            cand(&p[0], [1.0, 1.0], "CC BY-NC 3.0 (UrbanSound8K)"),
            cand(&p[1], [1.2, 1.0], "CC0"),
            cand(&p[2], [2.0, 2.0], "CC BY 3.0 (sources.md)"),
            cand(
                &p[3],
                [0.0, 0.5],
                "Freesound clip, uploader's Creative Commons licence",
            ),
            cand(&p[4], [0.8, 0.5], "CC-Sampling+"),
        ];
        let opts = RefSoundOptions::default();
        assert_eq!(ranked(&c, &opts), vec![1, 2]);
        let none: Vec<Candidate> = c[..1].to_vec();
        assert!(ranked(&none, &opts).is_empty());
        // The dataset's own terms only when asked.
        let d = vec![cand(&p[0], [0.0, 0.0], licence::DATASET_TERMS)];
        assert!(ranked(&d, &opts).is_empty());
        let ask = RefSoundOptions {
            dataset_terms: true,
            ..opts
        };
        assert_eq!(ranked(&d, &ask), vec![0]);
    }

    #[test]
    fn the_loudest_window_is_found() {
        let mut s = vec![0.01f32; 16_000 * 6];
        for (i, v) in s[40_000..50_000].iter_mut().enumerate() {
            *v = 0.5 * (i as f32 * 0.3).sin();
        }
        let start = loudest_window(&s, 16_000);
        assert!(
            start <= 40_000 && start + 16_000 >= 50_000,
            "window at {start} misses the burst"
        );
        assert_eq!(loudest_window(&s[..100], 16_000), 0);
        let (_, cut) = excerpt(&s, 16_000);
        let peak = cut.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((peak - 0.891).abs() < 0.01, "peak {peak}");
        assert_eq!(cut[0], 0.0, "faded in");
    }

    /// A noisy, rhythmic test sound: bursts of filtered noise over a tone (like a knock or a bell).
    fn test_sound(secs: f32) -> Vec<f32> {
        let mut rng = fastrand::Rng::with_seed(5);
        let n = (secs * 16_000.0) as usize;
        let mut lp = 0.0f32;
        (0..n)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                let env = (-((t * 4.0).fract()) * 8.0).exp();
                lp = 0.7 * lp + 0.3 * (rng.f32() * 2.0 - 1.0);
                0.4 * env * lp + 0.2 * (t * 2.0 * std::f32::consts::PI * 660.0).sin() * env
            })
            .collect()
    }

    #[test]
    fn the_codec_round_trip_keeps_the_sound_within_budget() {
        let opts = RefSoundOptions::default();
        let s = test_sound(5.0);
        let Encoded {
            start,
            samples: cut,
            bytes,
            correlation: corr,
            quality: q,
        } = encode_within_budget(&s, &opts).unwrap();
        assert!(bytes.len() <= opts.max_bytes, "{} bytes", bytes.len());
        // Half of this sound is white-ish noise, whose fine structure no perceptual codec keeps
        // (only its envelope): 0.8 on it; the shipped sounds measure 0.857–0.990
        // (`sori build` reports each one).
        assert!(corr > 0.8, "log-mel correlation {corr} (quality {q})");
        assert!(cut.len() >= 32_000 && cut.len() <= 48_000);
        assert!(start + cut.len() <= s.len());
        assert!(bytes.starts_with(b"OggS"));
        // Same input, same bytes.
        assert_eq!(encode_within_budget(&s, &opts).unwrap().bytes, bytes);
        // A budget nothing fits is an error, not a bigger file.
        let tight = RefSoundOptions {
            max_bytes: 500,
            ..opts
        };
        assert!(encode_within_budget(&s, &tight).is_err());
    }
}
