//! The reference table and the matcher: query [`Landmark`]s -> votes per
//! (recording, time offset) -> [`FingerprintHit`] or `None`.
//!
//! Every query landmark is looked up (binary search in the sorted entries, plus its f1, Δf, Δt ± 1
//! neighbours when `query_jitter` is 1). A match votes for `(recording, ref_time −
//! query_time)`. Votes in a 3-frame window count as aligned. Each recording is scored by the
//! excess of its best window over its best window at another offset (stationary or periodic
//! sounds match at many offsets; a true match peaks at one). The best recording wins when its
//! excess is at least `min_aligned` and at least `min_margin` times the excess of the best
//! recording with another name.

use super::config::{FingerprintConfig, FRAME_SECONDS};
use super::landmarks::{pack, unpack, Landmark, MAX_F1, MAX_HASH_DF, MAX_HASH_DT};
use super::{FingerprintRecording, FingerprintTable, HashEntry};

/// An identified recording and where the query starts in it.
#[derive(Debug, Clone, PartialEq)]
pub struct FingerprintHit {
    /// Index into [`FingerprintTable::recordings`].
    pub recording: u16,
    /// The recording's name.
    pub name: String,
    /// The recording's class id.
    pub class_id: u16,
    /// Start of the query within the recording, in seconds (multiple of
    /// [`FRAME_SECONDS`]; negative when the query starts before the recording).
    pub offset_seconds: f32,
    /// Number of time-aligned matching landmarks.
    pub aligned: u32,
    /// `1 − (runner_up + 1) / (aligned + 1)`, in `0..1`, where `runner_up` is the best aligned
    /// count of a recording with another name: 0 when another recording scores as well, near 1
    /// when nothing else matches.
    pub confidence: f32,
}

/// Best aligned window of one recording.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    recording: u16,
    offset: i32,
    aligned: u32,
    /// Best window of the same recording at another offset.
    background: u32,
}

impl Candidate {
    /// Aligned votes beyond the recording's own background.
    fn excess(&self) -> u32 {
        self.aligned.saturating_sub(self.background)
    }
}

impl FingerprintTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a recording and its (reference) landmarks. Call [`Self::finish`] before
    /// querying. Recordings beyond the `u16::MAX`-th are ignored (the index addresses
    /// recordings with `u16`).
    pub fn add_recording(&mut self, name: &str, class_id: u16, landmarks: &[Landmark]) {
        let Ok(recording) = u16::try_from(self.recordings.len()) else {
            return;
        };
        if recording == u16::MAX {
            return;
        }
        self.recordings.push(FingerprintRecording {
            name: name.to_owned(),
            class_id,
        });
        self.entries.extend(landmarks.iter().map(|l| HashEntry {
            hash: l.hash,
            recording,
            time: l.time,
        }));
    }

    /// Sorts the entries by `(hash, recording, time)` and removes duplicates.
    pub fn finish(&mut self) {
        self.entries.sort_unstable();
        self.entries.dedup();
    }

    /// Whether `entries` are sorted and deduplicated and point at existing recordings (what
    /// [`Self::query`] relies on; check tables read from untrusted bytes).
    pub fn is_valid(&self) -> bool {
        self.entries.windows(2).all(|w| w[0] < w[1])
            && self
                .entries
                .iter()
                .all(|e| usize::from(e.recording) < self.recordings.len())
    }

    /// Entries whose hash is `hash` (a sorted table is assumed; unsorted tables give
    /// incomplete results, never a panic).
    pub fn lookup(&self, hash: u32) -> &[HashEntry] {
        let start = self.entries.partition_point(|e| e.hash < hash);
        let len = self.entries[start..].partition_point(|e| e.hash == hash);
        &self.entries[start..start + len]
    }

    /// Identifies the recording the query landmarks come from (see the module docs), or
    /// `None` when no recording has enough aligned votes with a clear margin.
    ///
    /// Use [`super::extract_query_landmarks`] for the query.
    pub fn query(&self, landmarks: &[Landmark], cfg: &FingerprintConfig) -> Option<FingerprintHit> {
        let votes = self.votes(landmarks, cfg);
        let (best, runner_up) = best_two(&votes, &self.recordings)?;
        let min_aligned = cfg.min_aligned.max(1);
        let margin = if cfg.min_margin.is_finite() {
            cfg.min_margin.max(1.0)
        } else {
            1.0
        };
        let excess = best.excess();
        if excess < min_aligned || (excess as f32) < margin * runner_up as f32 {
            return None;
        }
        let rec = self.recordings.get(usize::from(best.recording))?;
        Some(FingerprintHit {
            recording: best.recording,
            name: rec.name.clone(),
            class_id: rec.class_id,
            offset_seconds: best.offset as f32 * FRAME_SECONDS,
            aligned: best.aligned,
            confidence: 1.0 - (runner_up as f32 + 1.0) / (excess as f32 + 1.0),
        })
    }

    /// Sorted votes, each `(recording << 32) | (offset + 2^31)`.
    fn votes(&self, landmarks: &[Landmark], cfg: &FingerprintConfig) -> Vec<u64> {
        let j = i32::from(cfg.query_jitter.min(1));
        let mut votes = Vec::new();
        for l in landmarks {
            let (f1, df, dt) = unpack(l.hash);
            for f1 in (f1 - j).max(0)..=(f1 + j).min(MAX_F1) {
                for df in
                    (df - j).max(-i32::from(MAX_HASH_DF))..=(df + j).min(i32::from(MAX_HASH_DF))
                {
                    for dt in (dt - j).max(1)..=(dt + j).min(i32::from(MAX_HASH_DT)) {
                        let h = pack(f1 as u16, df, dt as u16);
                        for e in self.lookup(h) {
                            let offset = i64::from(e.time) - i64::from(l.time);
                            votes
                                .push((u64::from(e.recording) << 32) | (offset + (1 << 31)) as u64);
                        }
                    }
                }
            }
        }
        votes.sort_unstable();
        votes
    }
}

/// The best 3-frame window overall and the best window count among recordings with another
/// name (clips cut from the same source recording share a name and often sound alike, so they
/// do not count against each other).
fn best_two(votes: &[u64], recordings: &[FingerprintRecording]) -> Option<(Candidate, u32)> {
    let mut per_rec: Vec<Candidate> = Vec::new();
    let mut i = 0usize;
    while i < votes.len() {
        let rec = (votes[i] >> 32) as u16;
        let mut j = i;
        while j < votes.len() && (votes[j] >> 32) as u16 == rec {
            j += 1;
        }
        per_rec.push(best_window(rec, &votes[i..j]));
        i = j;
    }
    let best_idx = (0..per_rec.len()).max_by_key(|&k| {
        (
            per_rec[k].excess(),
            per_rec[k].aligned,
            std::cmp::Reverse(k),
        )
    })?;
    let best = per_rec[best_idx];
    let name = |r: u16| recordings.get(usize::from(r)).map(|r| r.name.as_str());
    let runner_up = per_rec
        .iter()
        .enumerate()
        .filter(|&(k, c)| k != best_idx && name(c.recording) != name(best.recording))
        .map(|(_, c)| c.excess())
        .max()
        .unwrap_or(0);
    Some((best, runner_up))
}

/// Best window `[d − 1, d + 1]` of one recording's sorted votes (`offset` = its most-voted
/// frame) and the best window at least 3 frames away from it (`background`).
fn best_window(recording: u16, votes: &[u64]) -> Candidate {
    // Distinct offsets with counts, ascending.
    let mut hist: Vec<(i32, u32)> = Vec::new();
    for &v in votes {
        let off = ((v & 0xFFFF_FFFF) as i64 - (1 << 31)) as i32;
        match hist.last_mut() {
            Some((o, c)) if *o == off => *c += 1,
            _ => hist.push((off, 1)),
        }
    }
    // (centre, window sum, centre count) for every distinct offset.
    let mut windows: Vec<(i32, u32, u32)> = Vec::with_capacity(hist.len());
    let mut lo = 0usize;
    for &(centre, count) in &hist {
        while hist[lo].0 < centre - 1 {
            lo += 1;
        }
        let sum: u32 = hist[lo..]
            .iter()
            .take_while(|(o, _)| *o <= centre + 1)
            .map(|(_, c)| c)
            .sum();
        windows.push((centre, sum, count));
    }
    let best = windows
        .iter()
        .copied()
        .max_by_key(|&(c, sum, count)| (sum, count, std::cmp::Reverse(c)))
        .unwrap_or((0, 0, 0));
    let background = windows
        .iter()
        .filter(|w| (w.0 - best.0).abs() >= 3)
        .map(|w| w.1)
        .max()
        .unwrap_or(0);
    Candidate {
        recording,
        offset: best.0,
        aligned: best.1,
        background,
    }
}
