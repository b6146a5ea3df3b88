//! Evaluation (native only): an index + labelled clips -> accuracy, open-set and confusion figures.
//!
//! Closed set: top-1 / top-3 over `class` clips of trained classes. Open set: those clips plus
//! `other` clips, where the right answer for `other` is `unknown`; the false-accept rate is the
//! share of `other` clips given a class. `near` clips are scored neither way.

use super::dataset::Role;
use super::evidence::ClipEvidence;
use crate::matcher::{Coverage, Matcher, UNKNOWN};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A test condition applied to every clip before analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// As recorded.
    Clean,
    /// Pink noise at this SNR (dB).
    PinkNoise(f32),
    /// White noise at this SNR (dB).
    WhiteNoise(f32),
    /// Phone band-pass + small-room reverb.
    PhoneRoom,
    /// A gain change (dB).
    Gain(f32),
}

impl Condition {
    /// Parses `clean`, `pink10`, `white20`, `phone`, `gain-20`, `gain+6`.
    pub fn parse(s: &str) -> Option<Condition> {
        let num = |p: &str| {
            s.strip_prefix(p)
                .and_then(|v| v.trim_start_matches('+').parse::<f32>().ok())
        };
        match s {
            "clean" => Some(Condition::Clean),
            "phone" => Some(Condition::PhoneRoom),
            _ => num("pink")
                .map(Condition::PinkNoise)
                .or_else(|| num("white").map(Condition::WhiteNoise))
                .or_else(|| num("gain").map(Condition::Gain)),
        }
    }

    /// Applies the condition to 16 kHz audio (deterministic per clip name).
    pub fn apply(&self, x: &[f32], name: &str) -> Vec<f32> {
        let seed = name.bytes().fold(1469598103934665603u64, |h, b| {
            (h ^ b as u64).wrapping_mul(1099511628211)
        });
        match *self {
            Condition::Clean => x.to_vec(),
            Condition::PinkNoise(snr) => crate::augment::add_pink_noise(x, snr, seed),
            Condition::WhiteNoise(snr) => crate::augment::add_white_noise(x, snr, seed),
            Condition::PhoneRoom => {
                crate::augment::phone_and_room(x, crate::audio::TARGET_RATE, seed)
            }
            Condition::Gain(db) => crate::augment::gain_db(x, db),
        }
    }

    /// Analyses the clean clips of `items` with the condition applied (no augmentations, no
    /// landmarks): the evidence [`evaluate`] scores.
    pub fn analyse(
        &self,
        model: &std::sync::Arc<crate::embed::YamNet>,
        items: &[super::dataset::SoundItem],
        threads: usize,
        progress: super::Progress,
    ) -> anyhow::Result<Vec<ClipEvidence>> {
        super::evidence::collect_with(
            model,
            items,
            &|_| vec![super::evidence::Variant::Clean],
            threads,
            false,
            progress,
            &|x, clip| self.apply(x, clip),
        )
    }
}

/// The figures of one evaluation run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EvalReport {
    /// Condition label.
    pub condition: String,
    /// `class` clips of trained classes evaluated.
    pub class_clips: usize,
    /// `other` clips evaluated.
    pub other_clips: usize,
    /// Closed-set top-1 accuracy.
    pub top1: f32,
    /// Closed-set top-3 accuracy.
    pub top3: f32,
    /// Open-set accuracy with `unknown` (class clips right class, other clips `unknown`).
    pub open_accuracy: f32,
    /// Share of `other` clips given a class.
    pub false_accept_rate: f32,
    /// Share of class clips answered `unknown`.
    pub class_rejected: f32,
    /// Top-1 recall per class slug.
    pub per_class_recall: BTreeMap<String, f32>,
    /// Counts of (truth, verdict); truth is a slug or `other`.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Open-set curve from sweeping the unknown threshold: (threshold, open accuracy, false-accept rate).
    pub curve: Vec<(f32, f32, f32)>,
}

/// Scores analysed clips against a matcher.
pub fn evaluate(matcher: &Matcher, evidence: &[ClipEvidence], condition: &str) -> EvalReport {
    let index = matcher.index();
    let slug = |id: u16| {
        index
            .class_by_id(id)
            .map(|c| c.info.slug.clone())
            .unwrap_or_default()
    };
    let trained = |id: u16| {
        index
            .class_by_id(id)
            .is_some_and(|c| c.coverage == Coverage::Trained)
    };
    let mut r = EvalReport {
        condition: condition.to_string(),
        ..Default::default()
    };
    let (mut top1, mut top3, mut open_ok, mut fa, mut rejected) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut per_class: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    // For the curve: (is_other, best trained class id, its probability, truth id).
    let mut sweep: Vec<(bool, u16, f32, u16)> = Vec::new();
    for e in evidence.iter().filter(|e| e.error.is_none()) {
        let truth = match (e.role, e.class_id) {
            (Role::Class, Some(c)) if trained(c) => Some(c),
            (Role::Other, _) => None,
            _ => continue,
        };
        let emb = e.embedding_refs();
        let scores = e.score_refs();
        let ranked = matcher.rank(&emb, &scores);
        let result = matcher.decide_ranked(&ranked, emb.is_empty(), None);
        let truth_slug = truth.map_or_else(|| "other".to_string(), slug);
        *r.confusion
            .entry(truth_slug.clone())
            .or_default()
            .entry(result.verdict.clone())
            .or_default() += 1;
        let best_trained = ranked
            .iter()
            .find(|(c, _)| trained(*c))
            .copied()
            .unwrap_or((0, 0.0));
        sweep.push((
            truth.is_none(),
            best_trained.0,
            best_trained.1,
            truth.unwrap_or(0),
        ));
        match truth {
            Some(c) => {
                r.class_clips += 1;
                let hit1 = ranked.first().is_some_and(|x| x.0 == c);
                top1 += hit1 as usize;
                top3 += ranked.iter().take(3).any(|x| x.0 == c) as usize;
                open_ok += (result.verdict == truth_slug) as usize;
                rejected += (result.verdict == UNKNOWN) as usize;
                let pc = per_class.entry(truth_slug).or_default();
                pc.0 += hit1 as usize;
                pc.1 += 1;
            }
            None => {
                r.other_clips += 1;
                let accepted =
                    result.verdict != UNKNOWN && result.verdict != crate::matcher::SILENCE;
                fa += accepted as usize;
                open_ok += (!accepted) as usize;
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f32 / b as f32 };
    r.top1 = ratio(top1, r.class_clips);
    r.top3 = ratio(top3, r.class_clips);
    r.open_accuracy = ratio(open_ok, r.class_clips + r.other_clips);
    r.false_accept_rate = ratio(fa, r.other_clips);
    r.class_rejected = ratio(rejected, r.class_clips);
    r.per_class_recall = per_class
        .into_iter()
        .map(|(k, (a, b))| (k, ratio(a, b)))
        .collect();
    r.curve = (0..=20)
        .map(|i| {
            let t = i as f32 / 20.0;
            let (mut ok, mut fa_n, mut others) = (0, 0, 0);
            for &(is_other, best, p, truth) in &sweep {
                let accepted = p >= t && best != 0;
                if is_other {
                    others += 1;
                    fa_n += accepted as usize;
                    ok += (!accepted) as usize;
                } else {
                    ok += (accepted && best == truth) as usize;
                }
            }
            (t, ratio(ok, sweep.len()), ratio(fa_n, others))
        })
        .collect();
    r
}

impl EvalReport {
    /// A plain-text report with a confusion table.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let pct = |v: f32| format!("{:.1}%", 100.0 * v);
        let _ = writeln!(s, "condition: {}", self.condition);
        let _ = writeln!(
            s,
            "clips: {} of trained classes, {} other",
            self.class_clips, self.other_clips
        );
        let _ = writeln!(s, "top-1: {}   top-3: {}", pct(self.top1), pct(self.top3));
        let _ = writeln!(
            s,
            "with unknown: accuracy {}, false accepts of other {}, class clips rejected {}",
            pct(self.open_accuracy),
            pct(self.false_accept_rate),
            pct(self.class_rejected)
        );
        let _ = writeln!(s, "per-class recall (top-1):");
        for (k, v) in &self.per_class_recall {
            let _ = writeln!(s, "  {k:<20} {}", pct(*v));
        }
        let _ = writeln!(s, "open-set curve (threshold: accuracy / false accepts):");
        for (t, a, f) in self.curve.iter().step_by(2) {
            let _ = writeln!(s, "  {t:.2}: {} / {}", pct(*a), pct(*f));
        }
        let mut cols: Vec<String> = self
            .confusion
            .values()
            .flat_map(|m| m.keys().cloned())
            .collect();
        cols.sort();
        cols.dedup();
        let short = |c: &str| c.chars().take(7).collect::<String>();
        let _ = writeln!(s, "confusion (rows: truth, columns: verdict):");
        let _ = write!(s, "{:<20}", "");
        for c in &cols {
            let _ = write!(s, " {:>7}", short(c));
        }
        let _ = writeln!(s);
        for (truth, row) in &self.confusion {
            let _ = write!(s, "{truth:<20}");
            for c in &cols {
                let _ = write!(s, " {:>7}", row.get(c).copied().unwrap_or(0));
            }
            let _ = writeln!(s);
        }
        s
    }
}
