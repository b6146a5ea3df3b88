//! Native only: building an index from a corpus or dataset, training the head, evaluating.
