//! Exact fingerprints: 16 kHz samples -> spectral-peak landmark hashes, and a hash table
//! that identifies an indexed recording and its time offset.

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
