//! Native only: building an index from a corpus or dataset, training the head, evaluating.
//!
//! ```text
//! dataset::discover --> split_by_recording --> decode + Analyzer (clean + augmented) --> train::train_head
//!                                                                    \--> fingerprints, exemplars, images --> Index
//! ```

pub mod dataset;
pub mod eval;
pub mod evidence;
pub mod images;
mod pipeline;
pub mod train;
pub mod zero_shot;
pub use pipeline::*;
