//! The decision: clip evidence (embeddings, AudioSet scores, fingerprint hit) -> [`MatchResult`].

use super::{
    clip_embedding, clip_label_scores, Analysis, ClassScore, Coverage, FingerprintMatch,
    MatchResult, TaughtMode, TaughtRows, UNKNOWN,
};
use crate::fingerprint::{FingerprintConfig, FingerprintHit};
use crate::index::{Index, IndexError};
use std::sync::Arc;

/// Options of a [`Matcher`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MatcherOptions {
    /// How many candidates a result lists. Default: `5`.
    pub top_k: usize,
    /// Whether exact fingerprints are looked up. Default: `true`.
    pub fingerprints: bool,
}

impl Default for MatcherOptions {
    fn default() -> Self {
        MatcherOptions {
            top_k: 5,
            fingerprints: true,
        }
    }
}

impl MatcherOptions {
    /// Sets [`MatcherOptions::top_k`].
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = k.max(1);
        self
    }
    /// Sets [`MatcherOptions::fingerprints`].
    pub fn fingerprints(mut self, on: bool) -> Self {
        self.fingerprints = on;
        self
    }
}

/// Scores clip evidence against an [`Index`] and the classes taught on top of it.
///
/// Cloning is cheap (the index is shared), so a matcher with other taught classes
/// ([`Matcher::with_taught`]) can be made after every teaching step.
#[derive(Debug, Clone)]
pub struct Matcher {
    index: Arc<Index>,
    options: MatcherOptions,
    fingerprint_config: FingerprintConfig,
    taught: Arc<TaughtRows>,
}

impl Matcher {
    /// A matcher for `index`; fails if the head does not fit the clip embedding (mn04's).
    pub fn new(index: Index, options: MatcherOptions) -> Result<Matcher, IndexError> {
        let dim = 2 * crate::embed::EMBEDDING_DIM;
        let head = &index.head;
        if head.input_dim as usize != dim
            || head.weights.len() != head.outputs.len() * dim
            || head.bias.len() != head.outputs.len()
        {
            return Err(IndexError::Corrupt(format!(
                "the classifier head expects {} inputs and has {} outputs; this build of Sori produces {dim}-value clip embeddings",
                head.input_dim,
                head.outputs.len()
            )));
        }
        let merged = index.taught.as_ref().map(crate::teach::Pack::rows);
        let matcher = Matcher {
            index: Arc::new(index),
            options,
            fingerprint_config: FingerprintConfig::default(),
            taught: Arc::default(),
        };
        match merged {
            Some(rows) => matcher.with_taught(rows),
            None => Ok(matcher),
        }
    }

    /// The same matcher answering the classes of `pack` too (besides any merged into the index,
    /// which the pack's classes of the same id take the place of). Fails when the pack was fitted
    /// against another head (re-learn it with `teach::Teacher::relearn`) or does not fit the index.
    pub fn with_pack(&self, pack: &crate::teach::Pack) -> Result<Matcher, IndexError> {
        if !pack.classes.is_empty() && pack.head_hash != crate::teach::head_hash(&self.index.head) {
            return Err(IndexError::Corrupt(
                "the taught classes were made for another index: re-learn them for this one".into(),
            ));
        }
        let mut rows = self
            .index
            .taught
            .as_ref()
            .map(crate::teach::Pack::rows)
            .unwrap_or_default();
        for r in pack.rows().rows {
            rows.rows
                .retain(|o| o.class_id != r.class_id && o.slug != r.slug);
            rows.rows.push(r);
        }
        self.with_taught(rows)
    }

    /// The same matcher with these taught classes (replacing any it had); fails when a row does
    /// not fit the head or names a class of the index it cannot answer as taught.
    pub fn with_taught(&self, taught: TaughtRows) -> Result<Matcher, IndexError> {
        if !taught.fits(&self.index.head) {
            return Err(IndexError::Corrupt(
                "a taught class does not fit this index's head (wrong length, non-finite numbers or a repeated class)".into(),
            ));
        }
        if let Some(r) = taught.rows.iter().find(|r| {
            (r.mode == TaughtMode::New) != (r.class_id >= super::FIRST_NEW_CLASS_ID)
                || (r.mode != TaughtMode::New && self.index.class_by_id(r.class_id).is_none())
                || (r.mode == TaughtMode::New && self.index.class_by_slug(&r.slug).is_some())
        }) {
            return Err(IndexError::Corrupt(format!(
                "taught class {} ({}) does not fit this index: a new sound needs a new id and slug, a taught class of the index one of its ids",
                r.slug, r.class_id
            )));
        }
        Ok(Matcher {
            taught: Arc::new(taught),
            ..self.clone()
        })
    }

    /// The index this matcher scores against.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The taught classes it answers besides the index's.
    pub fn taught(&self) -> &TaughtRows {
        &self.taught
    }

    /// The configuration fingerprints are extracted with.
    pub fn fingerprint_config(&self) -> &FingerprintConfig {
        &self.fingerprint_config
    }

    fn slug(&self, class_id: u16) -> Option<&str> {
        self.index
            .class_by_id(class_id)
            .map(|c| c.info.slug.as_str())
            .or_else(|| self.taught.row(class_id).map(|r| r.slug.as_str()))
    }

    /// The thresholds a class's score must reach to be the verdict and to be a hedged guess;
    /// `None` for a zero-shot class or one the matcher cannot answer.
    fn thresholds(&self, class_id: u16) -> Option<(f32, f32)> {
        if let Some(r) = self.taught.row(class_id) {
            return Some((r.threshold, r.maybe_threshold));
        }
        self.coverage(class_id).is_trained().then_some((
            self.index.head.unknown_threshold,
            self.index.head.maybe_threshold,
        ))
    }

    fn score(&self, class_id: u16, score: f32) -> Option<ClassScore> {
        Some(ClassScore {
            class: self.slug(class_id)?.to_string(),
            score,
            taught: self.taught.row(class_id).is_some(),
        })
    }

    fn coverage(&self, class_id: u16) -> Coverage {
        self.index
            .class_by_id(class_id)
            .map_or(Coverage::None, |c| c.coverage)
    }

    /// Looks up the exact fingerprint of 16 kHz audio, when enabled.
    pub fn identify(&self, samples16k: &[f32]) -> Option<FingerprintHit> {
        if !self.options.fingerprints || self.index.fingerprints.entries.is_empty() {
            return None;
        }
        let landmarks =
            crate::fingerprint::extract_query_landmarks(samples16k, &self.fingerprint_config);
        self.index
            .fingerprints
            .query(&landmarks, &self.fingerprint_config)
    }

    /// Scores every covered class from window embeddings and AudioSet scores; best first.
    pub fn rank(&self, embeddings: &[&[f32]], scores: &[&[f32]]) -> Vec<(u16, f32)> {
        let x = clip_embedding(embeddings, crate::embed::EMBEDDING_DIM);
        let head = &self.index.head;
        let probs = self.taught.scores(head, &x);
        let (shipped, taught) = probs.split_at(probs.len().min(head.outputs.len()));
        let p_other = head.other_probability(shipped);
        let mut ranked: Vec<(u16, f32)> = head
            .outputs
            .iter()
            .zip(shipped)
            .filter(|(&c, _)| c != 0 && self.coverage(c).is_trained())
            .map(|(&c, &p)| (c, p))
            .collect();
        for (row, &p) in self.taught.rows.iter().zip(taught) {
            match ranked.iter_mut().find(|(c, _)| *c == row.class_id) {
                Some(entry) => entry.1 += p,
                None => ranked.push((row.class_id, p)),
            }
        }
        if !self.index.zero_shot.rules.is_empty() {
            let labels = clip_label_scores(scores, crate::embed::NUM_AUDIOSET);
            for rule in &self.index.zero_shot.rules {
                if self.coverage(rule.class_id) != Coverage::ZeroShot
                    || self.taught.row(rule.class_id).is_some()
                {
                    continue;
                }
                // Zero-shot evidence only counts for the share the head leaves to "other".
                ranked.push((
                    rule.class_id,
                    super::zero_shot_score(rule.evidence(&labels), p_other),
                ));
            }
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// The verdict for clip evidence.
    pub fn decide(
        &self,
        embeddings: &[&[f32]],
        scores: &[&[f32]],
        hit: Option<FingerprintHit>,
    ) -> MatchResult {
        let silent = embeddings.is_empty();
        if silent && hit.is_none() {
            return MatchResult::silence();
        }
        self.decide_ranked(&self.rank(embeddings, scores), silent, hit)
    }

    /// [`Matcher::decide`] for a ranking already computed with [`Matcher::rank`] (`silent`: the clip
    /// had no non-silent window), so a caller that needs both does not rank twice.
    pub fn decide_ranked(
        &self,
        ranked: &[(u16, f32)],
        silent: bool,
        hit: Option<FingerprintHit>,
    ) -> MatchResult {
        let fingerprint = hit.and_then(|h| {
            Some(FingerprintMatch {
                class: self.slug(h.class_id)?.to_string(),
                recording: h.name,
                offset_seconds: h.offset_seconds,
                confidence: h.confidence,
            })
        });
        if silent && fingerprint.is_none() {
            return MatchResult::silence();
        }
        let matches: Vec<ClassScore> = ranked
            .iter()
            .take(self.options.top_k)
            .filter_map(|&(c, s)| self.score(c, s))
            .collect();
        let accepted = ranked.first().filter(|&&(c, s)| match self.thresholds(c) {
            Some((unknown, _)) => s >= unknown,
            None => self.coverage(c) == Coverage::ZeroShot && s >= self.index.zero_shot.threshold,
        });
        // A hedged guess: the best trained or taught class, when the verdict is `unknown` but it
        // stands out.
        let maybe = ranked
            .first()
            .filter(|&&(c, s)| {
                accepted.is_none() && self.thresholds(c).is_some_and(|(_, maybe)| s >= maybe)
            })
            .and_then(|&(c, s)| self.score(c, s));
        let (verdict, score) = match (&fingerprint, accepted) {
            (Some(fp), _) => {
                let class_score = matches
                    .iter()
                    .find(|m| m.class == fp.class)
                    .map_or(0.0, |m| m.score);
                (fp.class.clone(), fp.confidence.max(class_score))
            }
            (None, Some(&(c, s))) => (self.slug(c).unwrap_or(UNKNOWN).to_string(), s),
            (None, None) => (
                UNKNOWN.to_string(),
                1.0 - ranked.first().map_or(0.0, |r| r.1),
            ),
        };
        let maybe = maybe.filter(|_| verdict == UNKNOWN);
        let taught = self.taught.rows.iter().any(|r| r.slug == verdict)
            || self
                .index
                .class_by_slug(&verdict)
                .is_some_and(|c| self.taught.row(c.info.id).is_some());
        MatchResult {
            verdict,
            score,
            matches,
            fingerprint,
            maybe,
            taught,
        }
    }

    /// The verdict for an analysed clip (`samples16k` are used for the fingerprint lookup).
    pub fn match_analysis(&self, analysis: &Analysis, samples16k: &[f32]) -> MatchResult {
        let hit = if analysis.is_silent() {
            None
        } else {
            self.identify(samples16k)
        };
        self.decide(&analysis.embeddings(), &analysis.scores(), hit)
    }
}
