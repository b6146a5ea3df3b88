//! Teaching Sori a sound: a few examples -> checks -> a taught class (one new head row with its
//! own calibrated thresholds) -> a [`Pack`] that keeps and carries every taught class.
//!
//! ```text
//! example audio @16 kHz --check_audio--> (too short, silent, clipped?)
//!     --Analyzer--> window embeddings --check_example (already confidently another class?)-->
//!     TaughtExample --Teacher::teach (learn::Learner against the index's TNEG negatives)-->
//!     TaughtClass in a Pack --Pack::to_bytes / from_bytes--> a file; Matcher::with_pack answers it
//! ```
//!
//! Pure Rust with no web imports: the same code runs in the CLI (`sori teach`) and in the page.
//! A taught class is either a new sound (id ≥ [`FIRST_NEW_CLASS_ID`], its own names), or one of
//! the index's classes, strengthened (its score is the shipped probability plus the taught row's)
//! or replaced (its shipped row is switched off).

pub mod learn;
mod pack;

pub use learn::{Features, LearnOptions, LearnReport, Learned, Learner, Negatives, CLIP_DIM};
pub use pack::{head_hash, Pack, PackError, MAX_CLASSES, PACK_MAGIC, PACK_VERSION};

use crate::embed::EMBEDDING_DIM;
use crate::index::Index;
use crate::matcher::{
    Analysis, Matcher, TaughtMode, TaughtRow, FIRST_NEW_CLASS_ID, SILENCE, UNKNOWN,
};
use thiserror::Error;

/// Shortest example, in seconds of audio.
pub const MIN_EXAMPLE_SECONDS: f32 = 1.0;
/// Highest share of an example's samples at full scale (|x| ≥ [`CLIP_LEVEL`]).
pub const MAX_CLIPPED_SHARE: f32 = 0.01;
/// A sample at or above this magnitude counts as clipped.
pub const CLIP_LEVEL: f32 = 0.99;
/// Examples a class needs before it is learned.
pub const MIN_EXAMPLES: usize = 1;

/// One example of a taught class: its non-silent window embeddings and, optionally, its audio.
#[derive(Debug, Clone, PartialEq)]
pub struct TaughtExample {
    /// Window embeddings ([`EMBEDDING_DIM`] each), as stored (rounded to fp16).
    pub windows: Vec<Vec<f32>>,
    /// The example's audio, 16 kHz mono i16 (empty when not kept).
    pub audio: Vec<i16>,
}

impl TaughtExample {
    /// An example from window embeddings (rounded to fp16, as a pack stores them) and, when
    /// given, its 16 kHz audio (kept as i16).
    pub fn new(windows: Vec<Vec<f32>>, audio16k: Option<&[f32]>) -> TaughtExample {
        let round = |v: f32| half::f16::from_f32(v).to_f32();
        TaughtExample {
            windows: windows
                .into_iter()
                .map(|w| w.into_iter().map(round).collect())
                .collect(),
            audio: audio16k.map_or_else(Vec::new, |a| {
                a.iter()
                    .map(|&s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
                    .collect()
            }),
        }
    }

    /// An example from an analysed clip (its non-silent windows).
    pub fn from_analysis(analysis: &Analysis, audio16k: Option<&[f32]>) -> TaughtExample {
        TaughtExample::new(
            analysis.embeddings().iter().map(|w| w.to_vec()).collect(),
            audio16k,
        )
    }
}

/// A taught class: who it is, its row and thresholds, and the examples it was learned from.
#[derive(Debug, Clone, PartialEq)]
pub struct TaughtClass {
    /// An index class id (strengthen, replace) or a new one (≥ [`FIRST_NEW_CLASS_ID`]).
    pub class_id: u16,
    /// Slug (the verdict's name).
    pub slug: String,
    /// Korean name (may be empty).
    pub name_ko: String,
    /// English name (may be empty).
    pub name_en: String,
    /// How it relates to the index's class.
    pub mode: TaughtMode,
    /// The row over the clip embedding ([`CLIP_DIM`]).
    pub weights: Vec<f32>,
    /// Its bias.
    pub bias: f32,
    /// Score to be the verdict.
    pub threshold: f32,
    /// Score to be a hedged guess.
    pub maybe_threshold: f32,
    /// What it was learned from.
    pub examples: Vec<TaughtExample>,
}

impl TaughtClass {
    /// The matcher's view of it.
    pub fn row(&self) -> TaughtRow {
        TaughtRow {
            class_id: self.class_id,
            slug: self.slug.clone(),
            mode: self.mode,
            weights: self.weights.clone(),
            bias: self.bias,
            threshold: self.threshold,
            maybe_threshold: self.maybe_threshold,
        }
    }
}

/// Why an example was not kept. Each message says what to do.
#[derive(Debug, Error, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ExampleProblem {
    /// Shorter than [`MIN_EXAMPLE_SECONDS`].
    #[error("too short ({seconds:.1} s): give at least {min:.0} s of the sound")]
    TooShort {
        /// Its length.
        seconds: f32,
        /// The least accepted.
        min: f32,
    },
    /// Nothing audible.
    #[error("nothing was heard: move closer to the sound or turn it up, and try again")]
    Silent,
    /// Too many samples at full scale.
    #[error("the sound is clipped ({percent:.1}% of it at full scale): move the microphone away or turn it down, and try again")]
    Clipped {
        /// Share of clipped samples, in percent.
        percent: f32,
    },
    /// Sori already hears it, confidently, as another class.
    #[error("this already sounds like {class} ({percent:.0}% sure): teach it as that class, or record the sound more clearly")]
    AlreadyAnother {
        /// The class it is heard as.
        class: String,
        /// How sure, in percent.
        percent: f32,
    },
}

/// Longest example, in seconds: longer audio is cut into examples of this length.
pub const MAX_EXAMPLE_SECONDS: f32 = 5.0;

/// Cuts 16 kHz audio into examples of at most [`MAX_EXAMPLE_SECONDS`] (a short last piece is
/// kept only when it is at least [`MIN_EXAMPLE_SECONDS`] long, or when it is the only one).
pub fn cut_examples(samples16k: &[f32]) -> Vec<&[f32]> {
    let rate = crate::audio::TARGET_RATE as f32;
    let len = (MAX_EXAMPLE_SECONDS * rate) as usize;
    let min = (MIN_EXAMPLE_SECONDS * rate) as usize;
    let mut out: Vec<&[f32]> = samples16k.chunks(len).collect();
    if out.len() > 1 && out.last().is_some_and(|p| p.len() < min) {
        out.pop();
    }
    out
}

/// Checks an example's 16 kHz audio before it is analysed: length, silence, clipping.
pub fn check_audio(samples16k: &[f32]) -> Result<(), ExampleProblem> {
    let seconds = samples16k.len() as f32 / crate::audio::TARGET_RATE as f32;
    if seconds < MIN_EXAMPLE_SECONDS {
        return Err(ExampleProblem::TooShort {
            seconds,
            min: MIN_EXAMPLE_SECONDS,
        });
    }
    if crate::audio::is_silent(samples16k) {
        return Err(ExampleProblem::Silent);
    }
    let clipped = samples16k.iter().filter(|s| s.abs() >= CLIP_LEVEL).count();
    let share = clipped as f32 / samples16k.len() as f32;
    if share > MAX_CLIPPED_SHARE {
        return Err(ExampleProblem::Clipped {
            percent: 100.0 * share,
        });
    }
    Ok(())
}

/// Checks an analysed example against what `matcher` (the index and the classes taught so far)
/// already hears: silent windows only, or a confident verdict for a class other than `target`
/// (the slug being taught), are refused.
pub fn check_example(
    matcher: &Matcher,
    analysis: &Analysis,
    target: &str,
) -> Result<(), ExampleProblem> {
    if analysis.is_silent() {
        return Err(ExampleProblem::Silent);
    }
    let r = matcher.decide(&analysis.embeddings(), &analysis.scores(), None);
    if r.verdict != UNKNOWN && r.verdict != SILENCE && r.verdict != target {
        return Err(ExampleProblem::AlreadyAnother {
            class: r.verdict,
            percent: 100.0 * r.score,
        });
    }
    Ok(())
}

/// Which class is being taught.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One of the index's classes, by slug; `replace` switches its shipped row off, otherwise the
    /// taught row strengthens it.
    Shipped {
        /// Its slug.
        slug: String,
        /// Replace rather than strengthen.
        replace: bool,
    },
    /// A sound that is none of the index's classes.
    New {
        /// The verdict's name (letters, digits, `_`, `-`; made from the names when empty).
        slug: String,
        /// Korean name.
        name_ko: String,
        /// English name.
        name_en: String,
    },
}

/// Why teaching failed. Each message says what to do.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum TeachError {
    /// The index carries no teaching negatives (built before teaching existed).
    #[error("this index cannot be taught (it has no teaching data): rebuild it with this version of sori")]
    NotTeachable,
    /// No usable example.
    #[error("no usable example: give at least {0} example(s) with sound in them")]
    NoExamples(usize),
    /// The class named is not in the index.
    #[error("there is no class {0:?} in this index: pick one of its classes or teach a new sound")]
    UnknownClass(String),
    /// The new sound's name is taken or unusable.
    #[error(
        "the name {0:?} cannot be used for a new sound (empty, or already a class): choose another"
    )]
    BadName(String),
    /// Too many taught classes.
    #[error("a pack holds at most {MAX_CLASSES} taught classes: remove one first")]
    TooMany,
    /// The pack's rows were fitted against another index and cannot be re-learned.
    #[error("the taught classes were made for another index: {0}")]
    OtherIndex(String),
}

/// Teaches classes on top of one index: holds the learner (the index's negatives and their
/// standardisation) so that each teaching step is cheap.
#[derive(Debug, Clone)]
pub struct Teacher {
    learner: Learner,
    head_hash: u64,
    model_id: String,
    /// (id, slug, name_ko, name_en) of the index's classes.
    classes: Vec<(u16, String, String, String)>,
    outputs: Vec<u16>,
}

impl Teacher {
    /// A teacher for `index` with the product's [`LearnOptions`].
    pub fn new(index: &Index) -> Result<Teacher, TeachError> {
        Teacher::with_options(index, LearnOptions::default())
    }

    /// A teacher for `index` with other learning settings (for evaluation).
    pub fn with_options(index: &Index, options: LearnOptions) -> Result<Teacher, TeachError> {
        let learner = Learner::new(&index.head, &index.teach_negatives, options)
            .ok_or(TeachError::NotTeachable)?;
        Ok(Teacher {
            learner,
            head_hash: head_hash(&index.head),
            model_id: index.model_id.clone(),
            classes: index
                .classes
                .iter()
                .map(|c| {
                    (
                        c.info.id,
                        c.info.slug.clone(),
                        c.info.name_ko.clone(),
                        c.info.name_en.clone(),
                    )
                })
                .collect(),
            outputs: index.head.outputs.clone(),
        })
    }

    /// An empty pack for this index.
    pub fn empty_pack(&self) -> Pack {
        Pack {
            head_hash: self.head_hash,
            model_id: self.model_id.clone(),
            classes: Vec::new(),
        }
    }

    /// Teaches `target` from `examples` (added to the examples it already has in `pack`, if it
    /// was taught before), learning against the index's negatives, the pack's other classes and
    /// `background` (sounds of the room, taken while teaching). Returns the new pack and what the
    /// learning step did. Examples without windows are ignored.
    pub fn teach(
        &self,
        pack: &Pack,
        target: &Target,
        examples: Vec<TaughtExample>,
        background: &[TaughtExample],
    ) -> Result<(Pack, LearnReport), TeachError> {
        self.check_pack(pack)?;
        let (class_id, slug, name_ko, name_en, mode) = self.resolve(pack, target)?;
        let mut all: Vec<TaughtExample> = pack
            .class(class_id)
            .map(|c| c.examples.clone())
            .unwrap_or_default();
        all.extend(examples.into_iter().filter(|e| !e.windows.is_empty()));
        if all.len() < MIN_EXAMPLES {
            return Err(TeachError::NoExamples(MIN_EXAMPLES));
        }
        let mut out = pack.clone();
        let template = TaughtClass {
            class_id,
            slug,
            name_ko,
            name_en,
            mode,
            weights: Vec::new(),
            bias: 0.0,
            threshold: 1.0,
            maybe_threshold: 1.0,
            examples: all,
        };
        let (class, report) = self.learn_class(&out, template, background)?;
        match out.classes.iter_mut().find(|c| c.class_id == class_id) {
            Some(c) => *c = class,
            None => {
                if out.classes.len() >= MAX_CLASSES {
                    return Err(TeachError::TooMany);
                }
                out.classes.push(class)
            }
        }
        Ok((out, report))
    }

    /// Re-learns every class of `pack` from its examples against this index (after the index
    /// changed, or to let earlier classes learn from later ones). The result fits this index.
    pub fn relearn(&self, pack: &Pack) -> Result<Pack, TeachError> {
        let mut out = Pack {
            head_hash: self.head_hash,
            model_id: self.model_id.clone(),
            classes: pack.classes.clone(),
        };
        for i in 0..out.classes.len() {
            let c = out.classes[i].clone();
            if c.mode != TaughtMode::New && !self.classes.iter().any(|k| k.0 == c.class_id) {
                return Err(TeachError::OtherIndex(format!(
                    "class {} ({}) is not in this index",
                    c.slug, c.class_id
                )));
            }
            out.classes[i] = self.learn_class(&out, c, &[])?.0;
        }
        Ok(out)
    }

    /// `pack` without the class `class_id` (the others are kept as they are).
    pub fn remove(&self, pack: &Pack, class_id: u16) -> Pack {
        Pack {
            classes: pack
                .classes
                .iter()
                .filter(|c| c.class_id != class_id)
                .cloned()
                .collect(),
            ..pack.clone()
        }
    }

    /// Whether `pack`'s rows were fitted against this teacher's index.
    pub fn fits(&self, pack: &Pack) -> bool {
        pack.head_hash == self.head_hash
    }

    fn check_pack(&self, pack: &Pack) -> Result<(), TeachError> {
        if !pack.classes.is_empty() && !self.fits(pack) {
            return Err(TeachError::OtherIndex(
                "re-learn them for this index first".into(),
            ));
        }
        Ok(())
    }

    fn resolve(
        &self,
        pack: &Pack,
        target: &Target,
    ) -> Result<(u16, String, String, String, TaughtMode), TeachError> {
        match target {
            Target::Shipped { slug, replace } => {
                let (id, slug, ko, en) = self
                    .classes
                    .iter()
                    .find(|c| &c.1 == slug)
                    .cloned()
                    .ok_or_else(|| TeachError::UnknownClass(slug.clone()))?;
                let mode = if *replace {
                    TaughtMode::Replace
                } else {
                    TaughtMode::Strengthen
                };
                Ok((id, slug, ko, en, mode))
            }
            Target::New {
                slug,
                name_ko,
                name_en,
            } => {
                let slug = if slug.trim().is_empty() {
                    slug_from(name_en, name_ko)
                } else {
                    slug.trim().to_string()
                };
                let usable = !slug.is_empty()
                    && slug.len() <= 64
                    && slug
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                    && slug != UNKNOWN
                    && slug != SILENCE
                    && !self.classes.iter().any(|c| c.1 == slug);
                if !usable {
                    return Err(TeachError::BadName(slug));
                }
                let id = match pack.classes.iter().find(|c| c.slug == slug) {
                    Some(c) if c.mode == TaughtMode::New => c.class_id,
                    Some(_) => return Err(TeachError::BadName(slug)),
                    None => (FIRST_NEW_CLASS_ID..=u16::MAX)
                        .find(|id| pack.class(*id).is_none())
                        .ok_or(TeachError::TooMany)?,
                };
                Ok((id, slug, name_ko.clone(), name_en.clone(), TaughtMode::New))
            }
        }
    }

    /// Learns `class`'s row from its examples, with the other classes of `pack` and `background`
    /// as extra negatives.
    fn learn_class(
        &self,
        pack: &Pack,
        mut class: TaughtClass,
        background: &[TaughtExample],
    ) -> Result<(TaughtClass, LearnReport), TeachError> {
        let of = |id: u16| -> Vec<usize> {
            self.outputs
                .iter()
                .enumerate()
                .filter(|(_, &c)| c == id)
                .map(|(j, _)| j)
                .collect()
        };
        let mut masked: Vec<usize> = pack
            .classes
            .iter()
            .filter(|c| c.mode == TaughtMode::Replace)
            .flat_map(|c| of(c.class_id))
            .collect();
        if class.mode == TaughtMode::Replace {
            masked.extend(of(class.class_id));
        }
        masked.sort_unstable();
        masked.dedup();
        let strengthens = if class.mode == TaughtMode::Strengthen {
            of(class.class_id)
        } else {
            Vec::new()
        };
        let mut negative_groups: Vec<Vec<&[Vec<f32>]>> = pack
            .classes
            .iter()
            .filter(|c| c.class_id != class.class_id)
            .map(|c| c.examples.iter().map(|e| e.windows.as_slice()).collect())
            .collect();
        let bg: Vec<&[Vec<f32>]> = background
            .iter()
            .filter(|e| !e.windows.is_empty())
            .map(|e| e.windows.as_slice())
            .collect();
        if !bg.is_empty() {
            negative_groups.push(bg);
        }
        let context = learn::Context {
            masked: &masked,
            strengthens: &strengthens,
            negative_groups,
        };
        let positives: Vec<&[Vec<f32>]> = class
            .examples
            .iter()
            .map(|e| e.windows.as_slice())
            .collect();
        let (learned, report) = self
            .learner
            .learn(&positives, &context)
            .ok_or(TeachError::NoExamples(MIN_EXAMPLES))?;
        class.weights = learned.weights;
        class.bias = learned.bias;
        class.threshold = learned.threshold;
        class.maybe_threshold = learned.maybe_threshold.min(learned.threshold);
        Ok((class, report))
    }
}

/// A slug from a new sound's names: the English name lower-cased with `_` for spaces, else the
/// Korean name's letters, else empty.
pub fn slug_from(name_en: &str, name_ko: &str) -> String {
    let from = |s: &str| -> String {
        s.trim()
            .chars()
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let en = from(name_en);
    if en.is_empty() {
        from(name_ko)
    } else {
        en
    }
}

/// The length of one window embedding, for callers building examples.
pub const WINDOW_DIM: usize = EMBEDDING_DIM;
