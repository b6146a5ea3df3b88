//! Native only: building an index from a corpus or dataset, training the head, evaluating.
//!
//! ```text
//! dataset::discover --> split_by_recording --> decode + Analyzer (clean + augmented) --> train::train_head
//!                                                                    \--> fingerprints, exemplars, images --> Index
//! ```

pub mod dataset;
pub mod images;
pub mod train;
#[cfg(sori_wip)]
pub mod eval;
#[cfg(sori_wip)]
pub mod evidence;
#[cfg(sori_wip)]
mod pipeline;
#[cfg(sori_wip)]
pub mod zero_shot;
#[cfg(sori_wip)]
pub use pipeline::*;
