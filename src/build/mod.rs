//! Native only: building an index from a corpus or dataset, training the head, evaluating.
//!
//! ```text
//! dataset::discover (manifest, aihub layout, class folders) --> split (the dataset's own, or by recording) --> decode + Analyzer (clean + augmented) --> train::train_head
//!                                                                    \--> fingerprints, exemplars, images --> Index
//! dataset images --> photos::choose (box crops, most typical few) --> PhotoSet (`<index>.photos`)
//! training evidence + licences --> refsound::choose (licence::classify, nearest the centroid, vorbis) --> SoundSet (`<index>.sounds`)
//! dataset problems + analysis failures --> summary (per class, every skipped file with its reason)
//! ```

pub mod aihub;
pub mod dataset;
pub mod eval;
pub mod evidence;
pub mod images;
pub mod licence;
pub mod photos;
mod pipeline;
pub mod refsound;
pub mod summary;
pub mod train;
pub mod vorbis;
pub mod zero_shot;
pub use pipeline::*;
