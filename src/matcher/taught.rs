//! Taught classes as the matcher sees them: extra head rows (one per taught class) that join the
//! shipped head's softmax, each with its own thresholds.
//!
//! A row's class is either one of the index's classes (it **strengthens** it: the class's score is
//! its shipped probability plus the row's; or it **replaces** it: the shipped row is switched off)
//! or a new sound with its own id (≥ [`FIRST_NEW_CLASS_ID`]) and names. Input: the rows (from
//! `teach`); output: the joint class probabilities of a clip embedding ([`TaughtRows::scores`]).

use super::{dot, softmax_in_place, Head};

/// Ids of classes that are not among the 76 start here.
pub const FIRST_NEW_CLASS_ID: u16 = 1001;

/// How a taught class relates to the index's class of the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaughtMode {
    /// A sound that is not one of the 76 classes.
    New,
    /// Adds to the shipped class: its score is the shipped probability plus the taught row's.
    Strengthen,
    /// Takes the shipped class's place: its shipped row is switched off.
    Replace,
}

impl TaughtMode {
    /// Stable lowercase name: `new`, `strengthen`, `replace`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaughtMode::New => "new",
            TaughtMode::Strengthen => "strengthen",
            TaughtMode::Replace => "replace",
        }
    }
}

/// One taught class's row.
#[derive(Debug, Clone, PartialEq)]
pub struct TaughtRow {
    /// A class id of the index (strengthen, replace) or a new one (≥ [`FIRST_NEW_CLASS_ID`]).
    pub class_id: u16,
    /// The class slug (for a new sound, the one teaching gave it).
    pub slug: String,
    /// How it relates to the index's class.
    pub mode: TaughtMode,
    /// Weights over the clip embedding (the head's input length).
    pub weights: Vec<f32>,
    /// Bias.
    pub bias: f32,
    /// Score to be the verdict.
    pub threshold: f32,
    /// Score to be offered as a hedged guess.
    pub maybe_threshold: f32,
}

/// The rows of every taught class, in a fixed order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaughtRows {
    /// One per taught class (class ids unique).
    pub rows: Vec<TaughtRow>,
}

impl TaughtRows {
    /// The row of class `id`.
    pub fn row(&self, id: u16) -> Option<&TaughtRow> {
        self.rows.iter().find(|r| r.class_id == id)
    }

    /// Head outputs switched off: the shipped rows of replaced classes.
    pub fn masked_outputs(&self, head: &Head) -> Vec<usize> {
        head.outputs
            .iter()
            .enumerate()
            .filter(|(_, &c)| c != 0 && self.row(c).is_some_and(|r| r.mode == TaughtMode::Replace))
            .map(|(j, _)| j)
            .collect()
    }

    /// Joint probabilities of a clip embedding `x`: the shipped head's outputs (masked ones 0)
    /// followed by one per taught row, summing to 1. Empty when `x` does not fit the head.
    pub fn scores(&self, head: &Head, x: &[f32]) -> Vec<f32> {
        let mut logits = head.logits(x);
        if logits.is_empty() {
            return logits;
        }
        for j in self.masked_outputs(head) {
            logits[j] = f32::NEG_INFINITY;
        }
        logits.extend(self.rows.iter().map(|r| dot(&r.weights, x) + r.bias));
        softmax_in_place(&mut logits);
        logits
    }

    /// Checks the rows against a head: input length, finite numbers, unique ids.
    pub fn fits(&self, head: &Head) -> bool {
        let dim = head.input_dim as usize;
        let mut ids: Vec<u16> = self.rows.iter().map(|r| r.class_id).collect();
        ids.sort_unstable();
        ids.windows(2).all(|w| w[0] != w[1])
            && self.rows.iter().all(|r| {
                r.weights.len() == dim
                    && r.weights.iter().all(|v| v.is_finite())
                    && r.bias.is_finite()
                    && r.threshold.is_finite()
                    && r.maybe_threshold.is_finite()
                    && r.class_id != 0
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Head {
        Head {
            input_dim: 2,
            outputs: vec![0, 3, 5],
            weights: vec![0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
            bias: vec![0.0; 3],
            unknown_threshold: 0.5,
            maybe_threshold: 0.3,
        }
    }

    fn row(class_id: u16, mode: TaughtMode) -> TaughtRow {
        TaughtRow {
            class_id,
            slug: format!("c{class_id}"),
            mode,
            weights: vec![1.0, 1.0],
            bias: 0.0,
            threshold: 0.5,
            maybe_threshold: 0.3,
        }
    }

    #[test]
    fn rows_join_the_softmax_and_replaced_rows_are_off() {
        let h = head();
        let none = TaughtRows::default();
        assert_eq!(none.scores(&h, &[1.0, 2.0]), h.probabilities(&[1.0, 2.0]));
        let rows = TaughtRows {
            rows: vec![row(1001, TaughtMode::New), row(3, TaughtMode::Replace)],
        };
        assert!(rows.fits(&h));
        assert_eq!(rows.masked_outputs(&h), vec![1]);
        let p = rows.scores(&h, &[1.0, 2.0]);
        assert_eq!(p.len(), 5);
        assert_eq!(p[1], 0.0, "the replaced shipped row is off");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[3] > p[2] && p[3] == p[4], "both rows score 1 + 2 = 3");
        assert!(rows.scores(&h, &[1.0]).is_empty());
    }

    #[test]
    fn rows_that_do_not_fit_are_found() {
        let h = head();
        let dup = TaughtRows {
            rows: vec![row(1001, TaughtMode::New), row(1001, TaughtMode::New)],
        };
        assert!(!dup.fits(&h));
        let mut bad = row(1001, TaughtMode::New);
        bad.weights = vec![1.0];
        assert!(!TaughtRows { rows: vec![bad] }.fits(&h));
    }
}
