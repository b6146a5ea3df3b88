//! Exact fingerprints: 16 kHz samples -> spectral-peak landmark hashes, and a hash table
//! that identifies an indexed recording and its time offset.
//!
//! Olaf / Shazam style. The submodules follow the data:
//!
//! ```text
//! peaks      samples -> Hann STFT (1024, hop 256) -> local maxima, density-limited -> Peak
//! landmarks  peaks -> peak pairs in a target zone -> hash(f1, Δf, Δt) + anchor time -> Landmark
//! table      FingerprintTable: add_recording / finish; query -> votes per (recording,
//!            time offset) -> FingerprintHit
//! config     FingerprintConfig (defaults documented per field), FRAME_SECONDS
//! ```
//!
//! References are fingerprinted sparsely ([`extract_landmarks`], ≈ 15 landmarks per second),
//! queries densely ([`extract_query_landmarks`]):
//!
//! ```
//! use sori::fingerprint::{extract_landmarks, extract_query_landmarks, FingerprintConfig, FingerprintTable};
//! let cfg = FingerprintConfig::default();
//! // A 4 s reference: a chord whose notes change every 0.25 s.
//! let song: Vec<f32> = (0..64_000)
//!     .map(|i| {
//!         let step = (i / 4000) as f32;
//!         let t = i as f32 / 16_000.0;
//!         (0..3)
//!             .map(|k| (std::f32::consts::TAU * (300.0 + 97.0 * ((step * 3.7 + k as f32 * 5.3) % 17.0)) * t).sin())
//!             .sum::<f32>()
//!             * 0.1
//!     })
//!     .collect();
//! let mut table = FingerprintTable::new();
//! table.add_recording("song", 7, &extract_landmarks(&song, &cfg));
//! table.finish();
//! // Query 2 s starting at 1.5 s.
//! let hit = table.query(&extract_query_landmarks(&song[24_000..56_000], &cfg), &cfg).unwrap();
//! assert_eq!(hit.name, "song");
//! assert!((hit.offset_seconds - 1.5).abs() <= 0.02);
//! ```

mod config;
mod landmarks;
mod peaks;
mod table;

pub use config::{FingerprintConfig, FFT_SIZE, FRAME_SECONDS, HOP, NUM_BINS, SAMPLE_RATE};
pub use landmarks::{
    extract_landmarks, extract_query_landmarks, Landmark, MAX_HASH_DF, MAX_HASH_DT,
};
pub use table::FingerprintHit;

/// One reference recording known to the fingerprint table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintRecording {
    /// Recording id as in the corpus manifest (e.g. `esc10-17150`) or a dataset file stem.
    pub name: String,
    /// Class id (1..=76) the recording belongs to.
    pub class_id: u16,
}

/// One landmark hash occurrence: `hash` seen in `recording` at analysis frame `time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HashEntry {
    /// The landmark hash.
    pub hash: u32,
    /// Index into [`FingerprintTable::recordings`].
    pub recording: u16,
    /// Anchor time in fingerprint frames from the start of the recording.
    pub time: u16,
}

/// All reference fingerprints of an index; `entries` sorted by `(hash, recording, time)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FingerprintTable {
    /// The indexed recordings.
    pub recordings: Vec<FingerprintRecording>,
    /// Hash occurrences, sorted.
    pub entries: Vec<HashEntry>,
}
