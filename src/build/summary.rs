//! What a build saw, for the person running it: a [`Dataset`] and the analysis of its clips ->
//! one line per class (sounds, recordings, sub-classes, images, what was skipped and why), the
//! count of every file, and the files skipped or noticed, each with its reason. Also the one
//! condition that fails a build over bad input: a class whose sounds are all unusable.

use super::dataset::{Dataset, Problem, Role, SOUND_EXTENSIONS};
use super::evidence::{ClipEvidence, Variant};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// Files listed per kind of problem in the summary (the rest are counted).
pub const LISTED_PER_PROBLEM: usize = 20;

fn is_sound(path: &Path) -> bool {
    let s = path.to_string_lossy();
    let ext = s
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    SOUND_EXTENSIONS.contains(&ext.as_str())
}

/// What the analysis of the clean clips found, as problems (decoding errors surface here, not in
/// discovery): a clip that does not decode or is silent throughout is left out of training; one
/// shorter than an analysis window is used, padded with silence, and noted.
pub fn analysis_problems(evidence: &[ClipEvidence]) -> Vec<Problem> {
    let window_s = crate::matcher::WINDOW_SAMPLES as f32 / crate::audio::TARGET_RATE as f32;
    evidence
        .iter()
        .filter(|e| e.variant == Variant::Clean)
        .filter_map(|e| {
            let (what, detail, skipped) = if let Some(err) = &e.error {
                ("undecodable sound", err.clone(), true)
            } else if e.embeddings.is_empty() {
                (
                    "silent sound",
                    "no window of it is louder than the silence gate (-70 dBFS); not learned".into(),
                    true,
                )
            } else if e.samples < crate::matcher::WINDOW_SAMPLES {
                let secs = e.samples as f32 / crate::audio::TARGET_RATE as f32;
                (
                    "shorter than one analysis window",
                    format!("{secs:.2} s, less than one {window_s:.3} s window: learned from one window padded with silence"),
                    false,
                )
            } else {
                return None;
            };
            Some(Problem {
                path: e.path.clone(),
                class_id: e.class_id,
                what: what.into(),
                detail,
                skipped,
            })
        })
        .collect()
}

/// Fails when a class had sound files but none of them is usable (every one skipped at discovery
/// or failed in analysis), naming the class and why.
pub fn require_usable(data: &Dataset, problems: &[Problem]) -> Result<(), String> {
    let classes = crate::taxonomy::classes();
    let mut usable: BTreeMap<u16, usize> = BTreeMap::new();
    let failed: BTreeSet<&Path> = problems
        .iter()
        .filter(|p| p.skipped)
        .map(|p| p.path.as_path())
        .collect();
    for s in data.sounds.iter().filter(|s| s.role == Role::Class) {
        if let Some(c) = s.class_id {
            *usable.entry(c).or_default() += usize::from(!failed.contains(s.path.as_path()));
        }
    }
    let mut why: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for p in data
        .problems
        .iter()
        .chain(problems)
        .filter(|p| p.skipped && is_sound(&p.path))
    {
        if let Some(c) = p.class_id {
            usable.entry(c).or_default();
            why.entry(c).or_default().push(&p.what);
        }
    }
    let dead: Vec<String> = usable
        .iter()
        .filter(|(_, &n)| n == 0)
        .map(|(c, _)| {
            let info = &classes[usize::from(*c) - 1];
            let reasons = why.get(c).map_or_else(String::new, |w| tally(w));
            format!(
                "{} ({}): none of its sound files could be used ({reasons})",
                info.slug, info.name_ko
            )
        })
        .collect();
    if dead.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}; fix or remove those files (the summary lists each with its reason)",
            dead.join("; ")
        ))
    }
}

fn tally(whats: &[&str]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    whats
        .iter()
        .for_each(|w| *counts.entry(w).or_default() += 1);
    counts
        .iter()
        .map(|(w, n)| format!("{n} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The per-class table, the file counts and the problems (`problems` are those found after
/// discovery: analysis failures, photo decoding); `held_out` are the sounds kept out of training.
pub fn report(
    data: &Dataset,
    held_out: &[super::dataset::SoundItem],
    problems: &[Problem],
) -> String {
    let held: BTreeSet<&Path> = held_out.iter().map(|s| s.path.as_path()).collect();
    let classes = crate::taxonomy::classes();
    let all: Vec<&Problem> = data.problems.iter().chain(problems).collect();
    let failed: BTreeSet<&Path> = problems
        .iter()
        .filter(|p| p.skipped)
        .map(|p| p.path.as_path())
        .collect();
    #[derive(Default)]
    struct Row<'a> {
        sounds: usize,
        validation: usize,
        recordings: BTreeSet<&'a str>,
        subclasses: BTreeSet<&'a str>,
        images: usize,
        crops: usize,
        skipped: Vec<&'a str>,
    }
    let mut rows: BTreeMap<u16, Row> = BTreeMap::new();
    for s in data
        .sounds
        .iter()
        .filter(|s| s.role == Role::Class && !failed.contains(s.path.as_path()))
    {
        let Some(c) = s.class_id else { continue };
        let r = rows.entry(c).or_default();
        r.sounds += 1;
        r.validation += usize::from(held.contains(s.path.as_path()));
        r.recordings.insert(&s.recording);
        if let Some(sub) = data.subclasses.get(&s.path) {
            r.subclasses.insert(sub);
        }
    }
    for (c, paths) in &data.images {
        let r = rows.entry(*c).or_default();
        r.images += paths
            .iter()
            .filter(|p| !failed.contains(p.as_path()))
            .count();
        r.crops += paths.iter().filter(|p| data.crops.contains_key(*p)).count();
        for p in paths {
            if let Some(sub) = data.subclasses.get(p) {
                r.subclasses.insert(sub);
            }
        }
    }
    for p in all.iter().filter(|p| p.skipped) {
        if let Some(c) = p.class_id {
            rows.entry(c).or_default().skipped.push(&p.what);
        }
    }
    let mut out = String::from("\nper class: sounds (of them held out), recordings, sub-classes, images (of them cropped by a box), skipped");
    for (c, r) in &rows {
        let info = &classes[usize::from(*c) - 1];
        let _ = write!(
            out,
            "\n  {:>2} {:<20} sounds {:>4} ({:>3} held out)  recordings {:>4}  sub-classes {:>2}  images {:>5} ({:>5} cropped)",
            c, info.slug, r.sounds, r.validation, r.recordings.len(), r.subclasses.len(), r.images, r.crops
        );
        if !r.skipped.is_empty() {
            let _ = write!(out, "  skipped: {}", tally(&r.skipped));
        }
    }
    let f = &data.files;
    let _ = write!(
        out,
        "\nfiles: {} sounds, {} images, {} labels ({} describing no file), {} of other kinds, {} macOS metadata or hidden",
        f.sounds, f.images, f.labels, f.labels_unpaired, f.other, f.metadata
    );
    let skipped_sounds = all
        .iter()
        .filter(|p| p.skipped && is_sound(&p.path))
        .count();
    let used = data
        .sounds
        .iter()
        .filter(|s| !failed.contains(s.path.as_path()))
        .count();
    let how = if data.validation.is_empty() {
        "by recording"
    } else {
        "the dataset's validation split"
    };
    let _ = write!(
        out,
        "\nsounds used: {used} ({} held out for evaluation: {how}); skipped: {skipped_sounds}",
        held.len()
    );
    let mut groups: BTreeMap<(bool, &str), Vec<&Problem>> = BTreeMap::new();
    for p in &all {
        groups
            .entry((!p.skipped, p.what.as_str()))
            .or_default()
            .push(p);
    }
    for ((warning, what), ps) in groups {
        let verb = if warning {
            "noticed (file used)"
        } else {
            "skipped"
        };
        let _ = write!(out, "\n{verb}: {what}: {} file(s)", ps.len());
        for p in ps.iter().take(LISTED_PER_PROBLEM) {
            let _ = write!(out, "\n    {}: {}", p.path.display(), p.detail);
        }
        if ps.len() > LISTED_PER_PROBLEM {
            let _ = write!(
                out,
                "\n    … and {} more (all in the problems file)",
                ps.len() - LISTED_PER_PROBLEM
            );
        }
    }
    out
}

/// Every problem as a TSV (`path`, `class`, `skipped`, `what`, `detail`), for the problems file.
pub fn problems_tsv(data: &Dataset, problems: &[Problem]) -> String {
    let classes = crate::taxonomy::classes();
    let mut out = String::from("path\tclass\tskipped\twhat\tdetail\n");
    for p in data.problems.iter().chain(problems) {
        let slug = p
            .class_id
            .map_or("", |c| classes[usize::from(c) - 1].slug.as_str());
        let clean = |s: &str| s.replace(['\t', '\n'], " ");
        let _ = writeln!(
            out,
            "{}\t{slug}\t{}\t{}\t{}",
            clean(&p.path.to_string_lossy()),
            p.skipped,
            p.what,
            clean(&p.detail)
        );
    }
    out
}
