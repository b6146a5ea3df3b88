//! The decision: clip evidence (embeddings, AudioSet scores, fingerprint hit) -> [`MatchResult`].

use super::{
    clip_embedding, clip_label_scores, Analysis, ClassScore, Coverage, FingerprintMatch,
    MatchResult, SILENCE, UNKNOWN,
};
use crate::fingerprint::{FingerprintConfig, FingerprintHit};
use crate::index::{Index, IndexError};

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

/// Scores clip evidence against an [`Index`].
#[derive(Debug, Clone)]
pub struct Matcher {
    index: Index,
    options: MatcherOptions,
    fingerprint_config: FingerprintConfig,
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
        Ok(Matcher {
            index,
            options,
            fingerprint_config: FingerprintConfig::default(),
        })
    }

    /// The index this matcher scores against.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The configuration fingerprints are extracted with.
    pub fn fingerprint_config(&self) -> &FingerprintConfig {
        &self.fingerprint_config
    }

    fn slug(&self, class_id: u16) -> Option<&str> {
        self.index
            .class_by_id(class_id)
            .map(|c| c.info.slug.as_str())
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
        let probs = self.index.head.probabilities(&x);
        let p_other = self.index.head.other_probability(&probs);
        let mut ranked: Vec<(u16, f32)> = self
            .index
            .head
            .outputs
            .iter()
            .zip(&probs)
            .filter(|(&c, _)| c != 0 && self.coverage(c).is_trained())
            .map(|(&c, &p)| (c, p))
            .collect();
        if !self.index.zero_shot.rules.is_empty() {
            let labels = clip_label_scores(scores, crate::embed::NUM_AUDIOSET);
            for rule in &self.index.zero_shot.rules {
                if self.coverage(rule.class_id) != Coverage::ZeroShot {
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
            return Self::silence();
        }
        self.decide_ranked(&self.rank(embeddings, scores), silent, hit)
    }

    fn silence() -> MatchResult {
        MatchResult {
            verdict: SILENCE.into(),
            score: 0.0,
            matches: Vec::new(),
            fingerprint: None,
            maybe: None,
        }
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
            return Self::silence();
        }
        let matches: Vec<ClassScore> = ranked
            .iter()
            .take(self.options.top_k)
            .filter_map(|&(c, s)| {
                Some(ClassScore {
                    class: self.slug(c)?.to_string(),
                    score: s,
                })
            })
            .collect();
        let accepted = ranked.first().filter(|&&(c, s)| match self.coverage(c) {
            Coverage::Trained | Coverage::TrainedFew => s >= self.index.head.unknown_threshold,
            Coverage::ZeroShot => s >= self.index.zero_shot.threshold,
            Coverage::None => false,
        });
        // A hedged guess: the best trained class, when the verdict is `unknown` but it stands out.
        let maybe = ranked
            .first()
            .filter(|&&(c, s)| {
                accepted.is_none()
                    && self.coverage(c).is_trained()
                    && s >= self.index.head.maybe_threshold
            })
            .and_then(|&(c, s)| {
                Some(ClassScore {
                    class: self.slug(c)?.to_string(),
                    score: s,
                })
            });
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
        MatchResult {
            verdict,
            score,
            matches,
            fingerprint,
            maybe,
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
