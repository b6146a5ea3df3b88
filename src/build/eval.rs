//! Evaluation (native only): an index + labelled clips -> an [`EvalReport`] per condition.
//!
//! Class clips are reported by [`Group`] (classes with many recordings, with a few, zero-shot):
//! top-1 / top-3 over every class the index offers, and the share whose **verdict** is right,
//! wrong, or `unknown` (with the hedged guess right or wrong). `other` clips (none of the classes)
//! give the false-accept rate: the share answered with a class. The two are never blended into one
//! figure. `near` clips are scored neither way.

use super::dataset::{Role, SoundItem};
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
        let seed = {
            let mut h = fnv::FnvHasher::default();
            std::hash::Hasher::write(&mut h, name.as_bytes());
            std::hash::Hasher::finish(&h)
        };
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
        model: &std::sync::Arc<crate::embed::efficientat::Mn04>,
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

/// Recordings a class needs in the corpus to be reported with the classes "with many recordings".
pub const MANY_RECORDINGS: usize = 10;

/// A group of classes whose clips are reported apart: what the index could learn about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Trained, and the corpus has at least [`MANY_RECORDINGS`] recordings of the class.
    Many,
    /// Trained, and the corpus has 1 to [`MANY_RECORDINGS`] − 1 recordings of the class.
    Few,
    /// Not trained in this index: only its zero-shot rule can answer it.
    ZeroShot,
}

impl Group {
    /// All groups, in report order.
    pub const ALL: [Group; 3] = [Group::Many, Group::Few, Group::ZeroShot];

    /// How reports name the group.
    pub fn label(self) -> &'static str {
        match self {
            Group::Many => "classes with >= 10 recordings",
            Group::Few => "classes with 1-9 recordings",
            Group::ZeroShot => "zero-shot classes",
        }
    }
}

/// Recordings per class in a whole corpus, which decide a trained class's [`Group`].
#[derive(Debug, Clone, Default)]
pub struct ClassGroups {
    recordings: BTreeMap<u16, usize>,
}

impl ClassGroups {
    /// Counts the distinct recordings of each class's `class` clips.
    pub fn from_sounds(sounds: &[SoundItem]) -> ClassGroups {
        let mut recs: BTreeMap<u16, std::collections::BTreeSet<&str>> = BTreeMap::new();
        for s in sounds.iter().filter(|s| s.role == Role::Class) {
            if let Some(c) = s.class_id {
                recs.entry(c).or_default().insert(&s.recording);
            }
        }
        ClassGroups {
            recordings: recs.into_iter().map(|(c, r)| (c, r.len())).collect(),
        }
    }

    /// Recordings of `class` in the corpus.
    pub fn recordings(&self, class: u16) -> usize {
        self.recordings.get(&class).copied().unwrap_or(0)
    }

    /// The group of `class` as an index with this `coverage` of it answers it; `None` when the index
    /// cannot answer it at all.
    pub fn group(&self, class: u16, coverage: Coverage) -> Option<Group> {
        match coverage {
            Coverage::Trained | Coverage::TrainedFew => {
                Some(if self.recordings(class) >= MANY_RECORDINGS {
                    Group::Many
                } else {
                    Group::Few
                })
            }
            Coverage::ZeroShot => Some(Group::ZeroShot),
            Coverage::None => None,
        }
    }
}

/// How the clips of some classes were answered (counts, so that folds add up).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ClassTally {
    /// Clips scored.
    pub clips: usize,
    /// The class ranked first.
    pub top1: usize,
    /// The class among the first three.
    pub top3: usize,
    /// The verdict is the class.
    pub right: usize,
    /// The verdict is another class.
    pub wrong: usize,
    /// The verdict is `unknown`.
    pub unknown: usize,
    /// `unknown`, with the class offered as the hedged guess ("maybe …").
    pub maybe_right: usize,
    /// `unknown`, with another class offered as the hedged guess.
    pub maybe_wrong: usize,
}

impl ClassTally {
    fn add(&mut self, o: &ClassTally) {
        self.clips += o.clips;
        self.top1 += o.top1;
        self.top3 += o.top3;
        self.right += o.right;
        self.wrong += o.wrong;
        self.unknown += o.unknown;
        self.maybe_right += o.maybe_right;
        self.maybe_wrong += o.maybe_wrong;
    }

    /// `n` as a share of the clips (0 when there are none).
    pub fn share(&self, n: usize) -> f32 {
        ratio(n, self.clips)
    }
}

/// How the `other` clips (none of the classes) were answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct OtherTally {
    /// Clips scored.
    pub clips: usize,
    /// Given a class as the verdict: false accepts.
    pub accepted: usize,
    /// Answered `unknown` with a hedged guess.
    pub maybe: usize,
}

impl OtherTally {
    /// The false-accept rate.
    pub fn false_accept_rate(&self) -> f32 {
        ratio(self.accepted, self.clips)
    }
}

/// One point of the open-set curve: a single threshold on the best trained class's probability.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CurvePoint {
    /// The threshold.
    pub threshold: f32,
    /// `other` clips whose best trained class reaches it (false accepts).
    pub other_accepted: usize,
    /// Per group, class clips whose best trained class is right and reaches it.
    pub right: BTreeMap<Group, usize>,
}

/// The figures of one evaluation run. Open-set results are always two numbers: the share of class
/// clips whose verdict is right (per group) and the share of `other` clips falsely accepted.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EvalReport {
    /// Condition label.
    pub condition: String,
    /// Class clips per group.
    pub groups: BTreeMap<Group, ClassTally>,
    /// `other` clips.
    pub other: OtherTally,
    /// Class clips of classes this index cannot answer at all (not scored).
    pub uncovered_clips: usize,
    /// Class clips per class slug.
    pub per_class: BTreeMap<String, ClassTally>,
    /// Counts of (truth, verdict); truth is a slug or `other`.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Open-set curve, thresholds 0, 0.05, …, 1.
    pub curve: Vec<CurvePoint>,
}

fn ratio(a: usize, b: usize) -> f32 {
    if b == 0 {
        0.0
    } else {
        a as f32 / b as f32
    }
}

/// Thresholds of the open-set curve.
const CURVE_STEPS: usize = 20;

/// Scores analysed clips against a matcher; `groups` (from the whole corpus) says which group a
/// trained class's clips are reported in.
pub fn evaluate(
    matcher: &Matcher,
    evidence: &[ClipEvidence],
    condition: &str,
    groups: &ClassGroups,
) -> EvalReport {
    let index = matcher.index();
    let coverage = |id: u16| index.class_by_id(id).map_or(Coverage::None, |c| c.coverage);
    let slug = |id: u16| {
        index
            .class_by_id(id)
            .map(|c| c.info.slug.clone())
            .unwrap_or_default()
    };
    let mut r = EvalReport {
        condition: condition.to_string(),
        curve: (0..=CURVE_STEPS)
            .map(|i| CurvePoint {
                threshold: i as f32 / CURVE_STEPS as f32,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    for e in evidence.iter().filter(|e| e.error.is_none()) {
        let truth = match (e.role, e.class_id) {
            (Role::Class, Some(c)) => match groups.group(c, coverage(c)) {
                Some(g) => Some((c, g)),
                None => {
                    r.uncovered_clips += 1;
                    continue;
                }
            },
            (Role::Other, _) => None,
            _ => continue,
        };
        let emb = e.embedding_refs();
        let ranked = matcher.rank(&emb, &e.score_refs());
        let result = matcher.decide_ranked(&ranked, emb.is_empty(), None);
        let truth_slug = truth.map_or_else(|| "other".to_string(), |(c, _)| slug(c));
        *r.confusion
            .entry(truth_slug.clone())
            .or_default()
            .entry(result.verdict.clone())
            .or_default() += 1;
        let best_trained = ranked.iter().find(|(c, _)| coverage(*c).is_trained());
        let answered = result.verdict != UNKNOWN && result.verdict != crate::matcher::SILENCE;
        match truth {
            Some((c, group)) => {
                let t = ClassTally {
                    clips: 1,
                    top1: ranked.first().is_some_and(|x| x.0 == c) as usize,
                    top3: ranked.iter().take(3).any(|x| x.0 == c) as usize,
                    right: (result.verdict == truth_slug) as usize,
                    wrong: (answered && result.verdict != truth_slug) as usize,
                    unknown: (!answered) as usize,
                    maybe_right: result.maybe.as_ref().is_some_and(|m| m.class == truth_slug)
                        as usize,
                    maybe_wrong: result.maybe.as_ref().is_some_and(|m| m.class != truth_slug)
                        as usize,
                };
                r.groups.entry(group).or_default().add(&t);
                r.per_class.entry(truth_slug).or_default().add(&t);
                for p in &mut r.curve {
                    let hit = best_trained.is_some_and(|&(b, s)| b == c && s >= p.threshold);
                    *p.right.entry(group).or_default() += hit as usize;
                }
            }
            None => {
                r.other.clips += 1;
                r.other.accepted += answered as usize;
                r.other.maybe += result.maybe.is_some() as usize;
                for p in &mut r.curve {
                    p.other_accepted +=
                        best_trained.is_some_and(|&(_, s)| s >= p.threshold) as usize;
                }
            }
        }
    }
    r
}

impl EvalReport {
    /// Adds another run's counts (another fold of the same condition) to this one.
    pub fn add(&mut self, o: &EvalReport) {
        for (g, t) in &o.groups {
            self.groups.entry(*g).or_default().add(t);
        }
        self.other.clips += o.other.clips;
        self.other.accepted += o.other.accepted;
        self.other.maybe += o.other.maybe;
        self.uncovered_clips += o.uncovered_clips;
        for (k, t) in &o.per_class {
            self.per_class.entry(k.clone()).or_default().add(t);
        }
        for (truth, row) in &o.confusion {
            let mine = self.confusion.entry(truth.clone()).or_default();
            for (v, n) in row {
                *mine.entry(v.clone()).or_default() += n;
            }
        }
        if self.curve.is_empty() {
            self.curve = o.curve.clone();
        } else {
            for (p, q) in self.curve.iter_mut().zip(&o.curve) {
                p.other_accepted += q.other_accepted;
                for (g, n) in &q.right {
                    *p.right.entry(*g).or_default() += n;
                }
            }
        }
    }

    /// All class clips of trained classes (many and few recordings together).
    pub fn trained(&self) -> ClassTally {
        let mut t = ClassTally::default();
        for g in [Group::Many, Group::Few] {
            if let Some(x) = self.groups.get(&g) {
                t.add(x);
            }
        }
        t
    }

    /// The table of groups: one line per group and one for `other` clips.
    pub fn group_table(&self) -> String {
        let mut s = String::new();
        let pct = |v: f32| format!("{:5.1}%", 100.0 * v);
        let _ = writeln!(
            s,
            "{:<32} {:>5} {:>6} {:>6} {:>6} {:>6} {:>8} {:>12}",
            "class clips", "clips", "top-1", "top-3", "right", "wrong", "unknown", "maybe right"
        );
        for g in Group::ALL {
            let Some(t) = self.groups.get(&g) else {
                continue;
            };
            let _ = writeln!(
                s,
                "{:<32} {:>5} {:>6} {:>6} {:>6} {:>6} {:>8} {:>12}",
                g.label(),
                t.clips,
                pct(t.share(t.top1)),
                pct(t.share(t.top3)),
                pct(t.share(t.right)),
                pct(t.share(t.wrong)),
                pct(t.share(t.unknown)),
                pct(t.share(t.maybe_right)),
            );
        }
        let _ = writeln!(
            s,
            "other clips: {}, falsely accepted {}, given a hedged guess {}",
            self.other.clips,
            pct(self.other.false_accept_rate()).trim(),
            pct(ratio(self.other.maybe, self.other.clips)).trim()
        );
        if self.uncovered_clips > 0 {
            let _ = writeln!(
                s,
                "class clips of classes this index cannot answer (not scored): {}",
                self.uncovered_clips
            );
        }
        s
    }

    /// A plain-text report: the group table, per-class figures, the open-set curve and a
    /// confusion table.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let pct = |v: f32| format!("{:.1}%", 100.0 * v);
        let _ = writeln!(s, "condition: {}", self.condition);
        s.push_str(&self.group_table());
        let _ = writeln!(s, "per class (clips: top-1 / right verdict / unknown):");
        for (k, t) in &self.per_class {
            let _ = writeln!(
                s,
                "  {k:<20} {:>4}: {} / {} / {}",
                t.clips,
                pct(t.share(t.top1)),
                pct(t.share(t.right)),
                pct(t.share(t.unknown))
            );
        }
        let _ = writeln!(
            s,
            "open-set curve (one threshold on the best trained class; right verdicts per group / false accepts):"
        );
        for p in self.curve.iter().step_by(2) {
            let groups: Vec<String> = [Group::Many, Group::Few]
                .iter()
                .filter_map(|g| {
                    let n = self.groups.get(g)?.clips;
                    Some(format!(
                        "{} {}",
                        match g {
                            Group::Many => "many",
                            _ => "few",
                        },
                        pct(ratio(p.right.get(g).copied().unwrap_or(0), n))
                    ))
                })
                .collect();
            let _ = writeln!(
                s,
                "  {:.2}: {} / {}",
                p.threshold,
                groups.join(", "),
                pct(ratio(p.other_accepted, self.other.clips))
            );
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
