//! Stage 4, matcher: patch embeddings -> clip embedding -> class scores -> verdict and top-k.

/// What the index can do for a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The head was trained on recordings of this class.
    Trained,
    /// Only a zero-shot prior from YAMNet's AudioSet scores.
    ZeroShot,
    /// Not recognisable with this index: never offered as an answer.
    None,
}

/// A linear classifier over the clip embedding: `logits = weights · x + bias`,
/// softmax over outputs; output `k` stands for class id `outputs[k]` (0 = "other").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Head {
    /// Length of the clip embedding the head expects.
    pub input_dim: u32,
    /// Class id per output row; 0 stands for "none of the classes".
    pub outputs: Vec<u16>,
    /// Row-major `outputs.len() x input_dim`.
    pub weights: Vec<f32>,
    /// One per output.
    pub bias: Vec<f32>,
    /// Softmax probability a class must reach to be answered instead of `unknown`.
    pub unknown_threshold: f32,
}

/// Zero-shot rule: a class scored from YAMNet's AudioSet label scores.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroShotRule {
    /// Class id (1..=76).
    pub class_id: u16,
    /// AudioSet label indices (0..521) whose scores vote for the class.
    pub labels: Vec<u16>,
}

/// The zero-shot prior for classes without recordings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZeroShot {
    /// One rule per zero-shot class.
    pub rules: Vec<ZeroShotRule>,
    /// AudioSet score a rule must reach to be offered.
    pub threshold: f32,
}

/// Reference clip embeddings, for nearest-neighbour evidence and inspection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exemplars {
    /// Embedding length.
    pub dim: u32,
    /// Class id per exemplar.
    pub class_ids: Vec<u16>,
    /// Row-major `class_ids.len() x dim`.
    pub vectors: Vec<f32>,
}
