//! The `sori build` pipeline.

use super::*;

use crate::embed::efficientat::Mn04;
use crate::embed::EMBEDDING_DIM;
use crate::fingerprint::FingerprintTable;
use crate::index::{Index, IndexClass};
use crate::matcher::{clip_embedding, Coverage, Exemplars, Head};
use anyhow::{Context, Result};
use dataset::{Dataset, Role, SoundItem};
use evidence::{ClipEvidence, Variant};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use train::Target;

/// Model id stored in indexes built with the committed mn04 weights.
pub const MODEL_ID: &str = "efficientat-mn04-v1";
/// Classes need at least this many training clips to be trained (others fall back to zero-shot):
/// every class with a recording is learned, however few (see [`Coverage::TrainedFew`]).
pub const MIN_TRAINING_CLIPS: usize = 1;
/// Exemplars kept per trained class.
pub const EXEMPLARS_PER_CLASS: usize = 8;
/// Highest share of `other` clips the calibrated thresholds let through (as a trained or a
/// zero-shot class together).
pub const MAX_FALSE_ACCEPT: f32 = 0.05;
/// Highest share of `other` clips given a hedged guess ("not sure — maybe …"), see
/// [`crate::matcher::MatchResult::maybe`].
pub const MAYBE_FALSE_ACCEPT: f32 = 0.15;
/// Highest share of the calibration clips answered with a zero-shot class.
pub const ZERO_SHOT_FALSE_ACCEPT: f32 = 0.01;
/// Most augmented copies of an `other` or `near` clip (one noisy, one through a phone).
pub const OTHER_AUGMENTATIONS: usize = 2;
/// Folds (by recording) of the out-of-fold scores the thresholds are calibrated on.
pub const CALIBRATION_FOLDS: usize = 4;

/// What `sori build` does.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// A folder with `manifest.tsv` (corpus style) or a dataset folder.
    pub input: PathBuf,
    /// Folder of class images (`<slug>.svg` + `SOURCES.tsv`); images found in the dataset win.
    pub images: Option<PathBuf>,
    /// The analysis model's weights (EfficientAT mn04). Default: `assets/model/mn04.sorim`.
    pub model: PathBuf,
    /// Share of recordings held out from training (for honest evaluation). Default: `0.2`.
    pub holdout: f32,
    /// Seed of the split by recording. Default: `7`.
    pub seed: u64,
    /// Augmented copies per `class` clip (noise, phone + room). Default: `4` (two noisy, two through a phone).
    pub augmentations: usize,
    /// Worker threads. Default: available parallelism.
    pub threads: usize,
    /// Hyper-parameters of the classifier head. Default: [`train::TrainOptions::default`].
    pub train: train::TrainOptions,
    /// How class photos are chosen for the companion file. Default: [`photos::PhotoOptions::default`].
    pub photos: photos::PhotoOptions,
    /// How reference sounds are made for the companion file. Default: [`refsound::RefSoundOptions::default`].
    pub sounds: refsound::RefSoundOptions,
}

impl BuildOptions {
    /// Options with the documented defaults.
    pub fn new(input: PathBuf) -> Self {
        BuildOptions {
            input,
            images: None,
            model: PathBuf::from(crate::embed::DEFAULT_MODEL_PATH),
            holdout: 0.2,
            seed: 7,
            augmentations: 4,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            train: train::TrainOptions::default(),
            photos: photos::PhotoOptions::default(),
            sounds: refsound::RefSoundOptions::default(),
        }
    }
}

/// A progress callback: `(stage, done, total)`.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Loads the mn04 weights from a file.
pub fn load_model(path: &Path) -> Result<Arc<Mn04>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading the model {}", path.display()))?;
    Ok(Arc::new(Mn04::from_bytes(&bytes).with_context(|| {
        format!("loading the model {}", path.display())
    })?))
}

/// The train/test split `sori build` and `sori eval` agree on: the dataset's own (its
/// validation sounds are the test side) when it declares one, else `holdout` of the recordings.
pub fn split(dataset: &Dataset, holdout: f32, seed: u64) -> (Vec<SoundItem>, Vec<SoundItem>) {
    if dataset.validation.is_empty() {
        dataset::split_by_recording(&dataset.sounds, holdout, seed)
    } else {
        dataset
            .sounds
            .iter()
            .cloned()
            .partition(|s| !dataset.validation.contains(&s.path))
    }
}

/// What [`build`] makes.
#[derive(Debug)]
pub struct Built {
    /// The index.
    pub index: Index,
    /// Human-readable summary: build info, per-class table, every skipped file with its reason.
    pub summary: String,
    /// Real photos of the classes (for `<index>.photos`), when the dataset has raster images.
    pub photos: Option<crate::index::photos::PhotoSet>,
    /// Reference sounds of the classes (for `<index>.sounds`), when any training clip's licence
    /// allows one.
    pub sounds: Option<crate::index::sounds::SoundSet>,
    /// Every problem met, as a TSV (path, class, skipped, what, detail).
    pub problems_tsv: String,
}

/// Builds an index. Returns it with a human-readable summary.
pub fn build_index(opts: &BuildOptions, progress: Progress) -> Result<(Index, String)> {
    build(opts, progress).map(|b| (b.index, b.summary))
}

/// Builds an index and its photos: discovery, analysis, training, then photo choice. Fails with
/// a clear message when the input cannot be read or a class's sounds are all unusable.
pub fn build(opts: &BuildOptions, progress: Progress) -> Result<Built> {
    let data = dataset::discover_with(&opts.input, progress)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("reading {}", opts.input.display()))?;
    let model = load_model(&opts.model)?;
    let (train, test) = split(&data, opts.holdout, opts.seed);
    let evidence = training_evidence(opts, &model, &train, true, progress)?;
    let mut problems = summary::analysis_problems(&evidence);
    summary::require_usable(&data, &problems).map_err(anyhow::Error::msg)?;
    let (index, mut text) = index_from_evidence(opts, &data, &train, test.len(), &evidence)?;
    let photos = if data.images.is_empty() {
        None
    } else {
        let (set, photo_problems) = photos::choose(&data, &opts.photos, progress);
        problems.extend(photo_problems);
        (!set.photos.is_empty()).then_some(set)
    };
    let (chosen, missing) = refsound::choose(&data, &opts.input, &evidence, &opts.sounds);
    let (sounds, sounds_text) = refsound::report(&chosen, &missing);
    text.push('\n');
    text.push_str(&sounds_text);
    text.push_str(&summary::report(&data, &test, &problems));
    Ok(Built {
        index,
        summary: text,
        photos,
        sounds: (!sounds.sounds.is_empty()).then_some(sounds),
        problems_tsv: summary::problems_tsv(&data, &problems),
    })
}

/// Analyses `items` as training does: each clip in its [`training_variants`], with fingerprint
/// landmarks of clean clips when `landmarks` is set.
pub fn training_evidence(
    opts: &BuildOptions,
    model: &Arc<Mn04>,
    items: &[SoundItem],
    landmarks: bool,
    progress: Progress,
) -> Result<Vec<ClipEvidence>> {
    let variants = |item: &SoundItem| training_variants(opts, item);
    evidence::collect(model, items, &variants, opts.threads, landmarks, progress)
}

/// The clip variants training analyses: the clean clip, plus [`BuildOptions::augmentations`] augmented
/// copies of `class` clips and at most [`OTHER_AUGMENTATIONS`] of `other` and `near` clips.
pub fn training_variants(opts: &BuildOptions, item: &SoundItem) -> Vec<Variant> {
    let mut v = vec![Variant::Clean];
    let n = if item.role == Role::Class {
        opts.augmentations
    } else {
        opts.augmentations.min(OTHER_AUGMENTATIONS)
    };
    v.extend((0..n).map(Variant::Augmented));
    v
}

/// The second half of [`build_index`]: training evidence (of `train`, analysed with
/// [`training_variants`] and landmarks) -> head, thresholds, fingerprints, exemplars, images -> index.
pub fn index_from_evidence(
    opts: &BuildOptions,
    data: &Dataset,
    train: &[SoundItem],
    held_out: usize,
    evidence: &[ClipEvidence],
) -> Result<(Index, String)> {
    let failed: Vec<String> = evidence.iter().filter_map(|e| e.error.clone()).collect();

    // Coverage: trained where there are enough usable training clips (decoded, not silent).
    let mut clips_per_class: BTreeMap<u16, (u32, std::collections::BTreeSet<String>)> =
        BTreeMap::new();
    for e in evidence.iter().filter(|e| {
        e.role == Role::Class && e.variant == Variant::Clean && !e.embeddings.is_empty()
    }) {
        if let Some(c) = e.class_id {
            let entry = clips_per_class.entry(c).or_default();
            entry.0 += 1;
            entry.1.insert(e.recording.clone());
        }
    }
    let trained: Vec<u16> = clips_per_class
        .iter()
        .filter(|(_, (n, _))| *n as usize >= MIN_TRAINING_CLIPS)
        .map(|(&c, _)| c)
        .collect();
    let groups = other_groups(train);
    let target_of = |e: &ClipEvidence| -> Target {
        match (e.role, e.class_id) {
            (Role::Class, Some(c)) if trained.contains(&c) => Target::Class(c),
            _ => Target::Other(groups.get(e.label.as_str()).copied().unwrap_or(0)),
        }
    };
    let rules = zero_shot::rules()?;

    // Calibrate thresholds out of fold: for each fold of recordings, a head trained without them
    // scores their clean clips. Then the shipped head is trained on all training clips.
    let mut calibration = Vec::new();
    let all: Vec<&ClipEvidence> = evidence.iter().collect();
    let all_examples = examples(&all, &target_of);
    let full_targets = train::head_targets(&all_examples);
    let mut out_of_fold = Vec::new();
    for fold in folds_by_recording(train, CALIBRATION_FOLDS, opts.seed.wrapping_add(1)) {
        let fit: Vec<&ClipEvidence> = evidence
            .iter()
            .filter(|e| !fold.contains(e.recording.as_str()))
            .collect();
        let fit_examples = examples(&fit, &target_of);
        let head = train::train_head(&fit_examples, &opts.train);
        let held: Vec<&ClipEvidence> = evidence
            .iter()
            .filter(|e| fold.contains(e.recording.as_str()) && e.variant == Variant::Clean)
            .collect();
        calibration.extend(calibration_scores(&head, &rules, &held, &trained));
        out_of_fold.extend(out_of_fold_logits(
            &head,
            &train::head_targets(&fit_examples),
            &full_targets,
            &held,
            &target_of,
        ));
    }
    let teach_negatives = pick_teach_negatives(out_of_fold, &full_targets);
    let Thresholds {
        unknown: unknown_threshold,
        maybe: maybe_threshold,
        zero_shot: zs_threshold,
    } = calibrate(&calibration);
    let mut head = train::train_head(&all_examples, &opts.train);
    head.unknown_threshold = unknown_threshold;
    head.maybe_threshold = maybe_threshold;

    // Fingerprints of the training recordings of covered classes.
    let mut fingerprints = FingerprintTable::default();
    for e in evidence
        .iter()
        .filter(|e| e.variant == Variant::Clean && e.role == Role::Class)
    {
        if let (Some(c), Some(l)) = (e.class_id, &e.landmarks) {
            fingerprints.add_recording(&e.name, c, l);
        }
    }
    fingerprints.finish();

    let exemplars = pick_exemplars(evidence, &trained);
    let images = class_images(data, opts.images.as_deref())?;
    let taxonomy = crate::taxonomy::classes();
    let zs_classes: Vec<u16> = rules.iter().map(|r| r.class_id).collect();
    let classes: Vec<IndexClass> = taxonomy
        .into_iter()
        .map(|info| {
            let id = info.id;
            let (clips, recs) = clips_per_class
                .get(&id)
                .map_or((0, 0), |(n, r)| (*n, r.len() as u32));
            let coverage = if trained.contains(&id) {
                Coverage::trained_from(recs)
            } else if zs_classes.contains(&id) {
                Coverage::ZeroShot
            } else {
                Coverage::None
            };
            IndexClass {
                image: images.get(&id).cloned(),
                info,
                coverage,
                clips,
                recordings: recs,
            }
        })
        .collect();
    let zero_shot = crate::matcher::ZeroShot {
        rules: rules
            .into_iter()
            .filter(|r| !trained.contains(&r.class_id))
            .collect(),
        threshold: zs_threshold,
    };
    let build_info = format!(
        "source: {} ({} sounds: {} training, {} held out {}, seed {}); augmentations per class clip: {}; \
         trained classes: {} ({} from a few recordings); other groups: {}; unknown threshold {:.3}; maybe threshold {:.3}; zero-shot threshold {:.3}; failed clips: {}",
        opts.input.file_name().map_or_else(|| opts.input.display().to_string(), |n| n.to_string_lossy().into_owned()),
        data.sounds.len(),
        train.len(),
        held_out,
        if data.validation.is_empty() {
            format!("by recording, holdout {}", opts.holdout)
        } else {
            "as the dataset's validation split".to_string()
        },
        opts.seed,
        opts.augmentations,
        trained.len(),
        classes.iter().filter(|c| c.coverage == Coverage::TrainedFew).count(),
        groups.len().max(1),
        unknown_threshold,
        maybe_threshold,
        zs_threshold,
        failed.len()
    );
    let index = Index {
        feature_hash: crate::matcher::analysis_hash(),
        model_id: MODEL_ID.to_string(),
        classes,
        head,
        zero_shot,
        exemplars,
        fingerprints,
        build_info: build_info.clone(),
        subclasses: subclasses(data),
        teach_negatives,
        taught: None,
    };
    let mut summary = build_info;
    summary.push_str(&format!(
        "\n{}",
        head_quantisation_cost(&index.head, evidence)
    ));
    if !data.unmatched.is_empty() {
        summary.push_str(&format!("\nunmatched folders ({}):", data.unmatched.len()));
        for u in &data.unmatched {
            summary.push_str(&format!("\n  {}", u.display()));
        }
    }
    Ok((index, summary))
}

/// [`index_from_evidence`] from the sounds of `data` that `keep` accepts (by recording, role and
/// class) and their training evidence: the index `sori build` would build had the others not been
/// there. For evaluations that hold out folds or classes.
pub fn index_from_kept(
    opts: &BuildOptions,
    data: &Dataset,
    evidence: &[ClipEvidence],
    keep: &dyn Fn(&str, Role, Option<u16>) -> bool,
) -> Result<Index> {
    let train: Vec<SoundItem> = data
        .sounds
        .iter()
        .filter(|s| keep(&s.recording, s.role, s.class_id))
        .cloned()
        .collect();
    let train_ev: Vec<ClipEvidence> = evidence
        .iter()
        .filter(|e| keep(&e.recording, e.role, e.class_id))
        .cloned()
        .collect();
    let held_out = data.sounds.len() - train.len();
    Ok(index_from_evidence(opts, data, &train, held_out, &train_ev)?.0)
}

fn examples(
    evidence: &[&ClipEvidence],
    target_of: &dyn Fn(&ClipEvidence) -> Target,
) -> Vec<train::Example> {
    evidence
        .iter()
        .filter(|e| !e.embeddings.is_empty())
        .map(|e| train::Example {
            x: e.clip_embedding(),
            target: target_of(e),
        })
        .collect()
}

/// One held-out clip's logits under a fold's head, in the full head's output order.
struct OutOfFold {
    target: Target,
    recording: String,
    logits: Vec<f32>,
    sketch: Vec<f32>,
}

/// The logits a fold's head (outputs `fold_targets`) gives its held-out clean clips, put in the
/// order of the full head's outputs (`full_targets`); an output the fold's head lacks gets the
/// clip's lowest logit.
fn out_of_fold_logits(
    head: &Head,
    fold_targets: &[Target],
    full_targets: &[Target],
    held: &[&ClipEvidence],
    target_of: &dyn Fn(&ClipEvidence) -> Target,
) -> Vec<OutOfFold> {
    held.iter()
        .filter(|e| !e.embeddings.is_empty())
        .map(|e| {
            let x = e.clip_embedding();
            let z = head.logits(&x);
            let low = z.iter().copied().fold(f32::INFINITY, f32::min);
            let logits = full_targets
                .iter()
                .map(|t| {
                    fold_targets
                        .iter()
                        .position(|f| f == t)
                        .and_then(|j| z.get(j).copied())
                        .unwrap_or(low)
                })
                .collect();
            OutOfFold {
                target: target_of(e),
                recording: e.recording.clone(),
                logits,
                sketch: crate::teach::learn::sketch(&x),
            }
        })
        .collect()
}

/// Teaching negatives kept per head output (an "other" group or a trained class).
pub const TEACH_NEGATIVES_PER_OUTPUT: usize = 1;

/// The index's teaching negatives: for every head output, up to [`TEACH_NEGATIVES_PER_OUTPUT`]
/// held-out clips of it from distinct recordings (first in the order they were analysed), with
/// their out-of-fold logits.
fn pick_teach_negatives(
    out_of_fold: Vec<OutOfFold>,
    full_targets: &[Target],
) -> crate::teach::Negatives {
    let mut outputs = Vec::new();
    let mut logits = Vec::new();
    let mut sketches = Vec::new();
    for (j, t) in full_targets.iter().enumerate() {
        let mut recordings: Vec<&str> = Vec::new();
        for o in out_of_fold.iter().filter(|o| &o.target == t) {
            if recordings.len() >= TEACH_NEGATIVES_PER_OUTPUT {
                break;
            }
            if recordings.contains(&o.recording.as_str()) {
                continue;
            }
            recordings.push(&o.recording);
            outputs.push(j as u16);
            logits.extend_from_slice(&o.logits);
            sketches.extend_from_slice(&o.sketch);
        }
    }
    crate::teach::Negatives {
        outputs,
        logits,
        sketches,
        x: Vec::new(),
    }
}

/// The other groups of a training set: one per distinct source label of its `other` and `near`
/// sounds (see [`train`]), numbered in label order.
pub fn other_groups(train: &[SoundItem]) -> BTreeMap<&str, u32> {
    let labels: std::collections::BTreeSet<&str> = train
        .iter()
        .filter(|s| s.role != Role::Class)
        .map(|s| s.label.as_str())
        .collect();
    labels.into_iter().zip(0..).collect()
}

/// Splits `items` into `k` folds by recording (each fold the held-out share of what the previous
/// folds left, so classes spread over the folds); returns each fold's recording ids.
pub fn folds_by_recording(items: &[SoundItem], k: usize, seed: u64) -> Vec<HashSet<String>> {
    let mut rest = items.to_vec();
    let mut folds = Vec::with_capacity(k);
    for i in 0..k {
        let (keep, out) = if i + 1 == k {
            (Vec::new(), std::mem::take(&mut rest))
        } else {
            dataset::split_by_recording(&rest, 1.0 / (k - i) as f32, seed.wrapping_add(i as u64))
        };
        folds.push(out.into_iter().map(|s| s.recording).collect());
        rest = keep;
    }
    folds
}

/// What calibration needs from one held-out clip.
struct CalibrationScore {
    role: Role,
    /// Probability of the most likely trained class.
    best_trained: f32,
    /// Score of the most likely zero-shot class (see [`crate::matcher::zero_shot_score`]).
    best_zero_shot: f32,
}

/// Scores held-out clean clips with a head that did not see them.
fn calibration_scores(
    head: &Head,
    rules: &[crate::matcher::ZeroShotRule],
    held: &[&ClipEvidence],
    trained: &[u16],
) -> Vec<CalibrationScore> {
    held.iter()
        .filter(|e| !e.embeddings.is_empty())
        .map(|e| {
            let p = head.probabilities(&e.clip_embedding());
            let best_trained = head
                .outputs
                .iter()
                .zip(&p)
                .filter(|(&c, _)| c != 0)
                .map(|(_, &v)| v)
                .fold(0.0f32, f32::max);
            let p_other = head.other_probability(&p);
            let labels =
                crate::matcher::clip_label_scores(&e.score_refs(), crate::embed::NUM_AUDIOSET);
            let best_label = rules
                .iter()
                .filter(|r| !trained.contains(&r.class_id))
                .map(|r| r.evidence(&labels))
                .fold(0.0f32, f32::max);
            CalibrationScore {
                role: e.role,
                best_trained,
                best_zero_shot: crate::matcher::zero_shot_score(best_label, p_other),
            }
        })
        .collect()
}

/// The calibrated decision thresholds.
struct Thresholds {
    /// Trained-class probability to answer the class.
    unknown: f32,
    /// Trained-class probability to offer it as a hedged guess.
    maybe: f32,
    /// Zero-shot score to answer a zero-shot class.
    zero_shot: f32,
}

/// Thresholds from out-of-fold scores, sharing one false-accept budget: the zero-shot threshold lets
/// at most [`ZERO_SHOT_FALSE_ACCEPT`] of `other` and trained-class clips be answered with a zero-shot
/// class; the unknown threshold then lets through what is left of [`MAX_FALSE_ACCEPT`] on `other`
/// clips; the maybe threshold gives at most [`MAYBE_FALSE_ACCEPT`] of them a hedged guess.
fn calibrate(scores: &[CalibrationScore]) -> Thresholds {
    let zero_shot = scores
        .iter()
        .filter(|s| s.role != Role::Near)
        .map(|s| s.best_zero_shot)
        .collect();
    let zs_threshold = train::calibrate_threshold(zero_shot, ZERO_SHOT_FALSE_ACCEPT, 0.3);
    let others: Vec<&CalibrationScore> = scores.iter().filter(|s| s.role == Role::Other).collect();
    let zs_accepts = others
        .iter()
        .filter(|s| s.best_zero_shot >= zs_threshold)
        .count();
    let budget = MAX_FALSE_ACCEPT - zs_accepts as f32 / others.len().max(1) as f32;
    let negatives: Vec<f32> = others.iter().map(|s| s.best_trained).collect();
    let unknown = train::calibrate_threshold(negatives.clone(), budget.max(0.0), 0.3);
    let maybe = train::calibrate_threshold(negatives, MAYBE_FALSE_ACCEPT, 0.2).min(unknown);
    Thresholds {
        unknown,
        maybe,
        zero_shot: zs_threshold,
    }
}

/// Up to [`EXEMPLARS_PER_CLASS`] clean clip embeddings (the mean half) per trained class: those closest to
/// the class centroid.
fn pick_exemplars(evidence: &[ClipEvidence], trained: &[u16]) -> Exemplars {
    let mut class_ids = Vec::new();
    let mut vectors = Vec::new();
    for &c in trained {
        let members: Vec<Vec<f32>> = evidence
            .iter()
            .filter(|e| {
                e.class_id == Some(c)
                    && e.role == Role::Class
                    && e.variant == Variant::Clean
                    && !e.embeddings.is_empty()
            })
            .map(|e| clip_embedding(&e.embedding_refs(), EMBEDDING_DIM)[..EMBEDDING_DIM].to_vec())
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut centroid = vec![0.0f32; EMBEDDING_DIM];
        for m in &members {
            centroid
                .iter_mut()
                .zip(m)
                .for_each(|(a, b)| *a += b / members.len() as f32);
        }
        let mut order: Vec<usize> = (0..members.len()).collect();
        let dist = |m: &Vec<f32>| {
            m.iter()
                .zip(&centroid)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
        };
        order.sort_by(|&a, &b| {
            dist(&members[a])
                .total_cmp(&dist(&members[b]))
                .then(a.cmp(&b))
        });
        for &i in order.iter().take(EXEMPLARS_PER_CLASS) {
            class_ids.push(c);
            vectors.extend_from_slice(&members[i]);
        }
    }
    Exemplars {
        dim: EMBEDDING_DIM as u32,
        class_ids,
        vectors,
    }
}

/// The dataset's sub-classes with their sound and image counts, sorted.
fn subclasses(data: &Dataset) -> Vec<crate::index::SubClass> {
    let mut counts: BTreeMap<(u16, &str), (u32, u32)> = BTreeMap::new();
    for s in &data.sounds {
        if let (Some(c), Some(sub)) = (s.class_id, data.subclasses.get(&s.path)) {
            counts.entry((c, sub)).or_default().0 += 1;
        }
    }
    for (c, paths) in &data.images {
        for sub in paths.iter().filter_map(|p| data.subclasses.get(p)) {
            counts.entry((*c, sub)).or_default().1 += 1;
        }
    }
    counts
        .into_iter()
        .map(
            |((class_id, name), (sounds, images))| crate::index::SubClass {
                class_id,
                name: name.to_string(),
                sounds,
                images,
            },
        )
        .collect()
}

/// One image per class, for the index: the class's icon from `images` (a folder of `<slug>.svg`
/// with credits in `SOURCES.tsv`, or an existing index whose images are taken with their credits),
/// else the dataset's most representative photo (its real photos go to the companion file).
fn class_images(
    data: &Dataset,
    images_dir: Option<&Path>,
) -> Result<BTreeMap<u16, crate::index::ClassImage>> {
    let mut out = BTreeMap::new();
    if let Some(file) = images_dir.filter(|p| p.is_file()) {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let icons = Index::from_bytes(&bytes)
            .with_context(|| format!("taking the class images of {}", file.display()))?;
        for c in icons.classes {
            if let Some(img) = c.image {
                out.insert(c.info.id, img);
            }
        }
    }
    let credits: BTreeMap<String, String> = images_dir
        .and_then(|d| std::fs::read_to_string(d.join("SOURCES.tsv")).ok())
        .map(|s| {
            s.lines()
                .skip(1)
                .filter_map(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    (f.len() >= 5).then(|| {
                        (
                            f[0].to_string(),
                            format!("“{}” from {} ({}), {}", f[2], f[1], f[3], f[4]),
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    for class in crate::taxonomy::classes() {
        if out.contains_key(&class.id) {
            continue;
        }
        let icon = images_dir
            .map(|d| d.join(format!("{}.svg", class.slug)))
            .filter(|p| p.is_file());
        if icon.is_none() {
            if let Some(photo) = photos::index_image(data, class.id) {
                out.insert(class.id, photo);
                continue;
            }
        }
        let svg_in_dataset = || {
            let paths = data.images.get(&class.id)?;
            images::pick_representative(paths, 1).into_iter().next()
        };
        if let Some(path) = icon.or_else(svg_in_dataset) {
            let mut image = images::load_class_image(&path)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("image {}", path.display()))?;
            if image.credit.is_empty() {
                image.credit = credits.get(&class.slug).cloned().unwrap_or_default();
            }
            out.insert(class.id, image);
        }
    }
    Ok(out)
}

/// What storing the head in fp16 costs: top-1 changes and the largest probability change over the clean
/// training clips, f32 head against its fp16-rounded copy.
fn head_quantisation_cost(head: &Head, evidence: &[ClipEvidence]) -> String {
    let round = |v: &[f32]| {
        v.iter()
            .map(|&w| half::f16::from_f32(w).to_f32())
            .collect::<Vec<_>>()
    };
    let q = Head {
        weights: round(&head.weights),
        bias: round(&head.bias),
        ..head.clone()
    };
    let argmax = |p: &[f32]| (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut n, mut changed, mut max_change) = (0usize, 0usize, 0.0f32);
    for e in evidence
        .iter()
        .filter(|e| e.variant == Variant::Clean && !e.embeddings.is_empty())
    {
        let x = e.clip_embedding();
        let (p, pq) = (head.probabilities(&x), q.probabilities(&x));
        n += 1;
        changed += (argmax(&p) != argmax(&pq)) as usize;
        max_change = p
            .iter()
            .zip(&pq)
            .map(|(a, b)| (a - b).abs())
            .fold(max_change, f32::max);
    }
    format!("fp16 head: top-1 changed on {changed} of {n} training clips, largest probability change {max_change:.2e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_folds_partition_the_recordings() {
        let items: Vec<SoundItem> = (0..60)
            .map(|i| SoundItem {
                path: PathBuf::from(format!("clip{i}.ogg")),
                class_id: (i % 3 != 0).then_some(1 + (i % 5) as u16),
                role: if i % 3 == 0 { Role::Other } else { Role::Class },
                recording: format!("rec{}", i / 2),
                credit: String::new(),
                label: String::new(),
            })
            .collect();
        let folds = folds_by_recording(&items, CALIBRATION_FOLDS, 8);
        assert_eq!(folds.len(), CALIBRATION_FOLDS);
        let mut seen = HashSet::new();
        for fold in &folds {
            assert!(!fold.is_empty(), "{folds:?}");
            for r in fold {
                assert!(seen.insert(r.clone()), "{r} is in two folds");
            }
        }
        assert_eq!(seen.len(), 30, "every recording is in a fold");
    }
}
