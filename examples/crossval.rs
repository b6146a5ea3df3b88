//! Cross-validation by recording: every clip of the corpus is tested by an index built (exactly as
//! `sori build` builds it) without its recording.
//!
//! ```text
//! cargo run --release --example crossval -- ../shared/corpus [FOLDS] [CONDITIONS]   # k folds
//! cargo run --release --example crossval -- ../shared/corpus loro                   # leave one recording out
//! ```
//!
//! **Folds** (default 5, conditions default `clean`): the recordings are split into folds as the
//! threshold calibration splits them (`build::folds_by_recording`); each fold is tested by an index
//! built from the others. Prints, per fold and pooled, the figures of `sori eval` by group: classes
//! with ≥ 10 recordings, with 1–9, and zero-shot (a class whose only recordings are all in the
//! tested fold is zero-shot there), plus the false accepts of `other` clips.
//!
//! **Leave one recording out** (`loro`), for the classes with 2–9 recordings: in round `r`, the
//! `r`-th recording of every such class is held out (one per class, so each index still learns
//! every class from its other recordings) and tested by an index built from everything else;
//! rounds continue until every recording of these classes has been tested once. A class with a
//! single recording cannot be tested this way: it is listed, not scored.
//!
//! Training clips are analysed once (with `sori build`'s augmentations) and reused by every index.

use sori::build::{self, dataset, eval, evidence, BuildOptions};
use sori::matcher::{Matcher, MatcherOptions};
use std::collections::{BTreeMap, BTreeSet, HashSet};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = std::path::PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let mode = args.get(2).map_or("5", String::as_str);
    let conditions = args.get(3).map_or("clean", String::as_str);
    let opts = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&opts.model)?;
    let groups = eval::ClassGroups::from_sounds(&data.sounds);
    let quiet = |_: &str, _: u64, _: u64| {};
    let t0 = std::time::Instant::now();
    let training = build::training_evidence(&opts, &model, &data.sounds, false, &quiet)?;
    for e in training.iter().filter_map(|e| e.error.as_ref()) {
        eprintln!("skipped: {e}");
    }
    let clean: Vec<evidence::ClipEvidence> = training
        .iter()
        .filter(|e| e.variant == evidence::Variant::Clean)
        .cloned()
        .collect();
    println!(
        "analysed {} clips in {:.0} s",
        data.sounds.len(),
        t0.elapsed().as_secs_f32()
    );
    // Each test: the recordings it holds out.
    let tests: Vec<HashSet<String>> = if mode == "loro" {
        loro_rounds(&data, &groups)
    } else {
        let k: usize = mode.parse()?;
        println!("{k} folds by recording (seed {})", opts.seed);
        build::folds_by_recording(&data.sounds, k, opts.seed)
    };
    let mut held_out = Vec::new();
    for name in conditions.split(',') {
        if name == "clean" {
            held_out.push((name.to_string(), clean.clone()));
            continue;
        }
        let condition = eval::Condition::parse(name)
            .ok_or_else(|| anyhow::anyhow!("unknown condition {name:?}"))?;
        let ev = condition.analyse(&model, &data.sounds, opts.threads, &quiet)?;
        held_out.push((name.to_string(), ev));
    }
    let mut pooled: Vec<eval::EvalReport> = held_out
        .iter()
        .map(|(name, _)| eval::EvalReport {
            condition: name.clone(),
            ..Default::default()
        })
        .collect();
    for (t, recordings) in tests.iter().enumerate() {
        let index = build::index_from_kept(&opts, &data, &training, &|rec, _, _| {
            !recordings.contains(rec)
        })?;
        let matcher = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
        for ((name, ev), pool) in held_out.iter().zip(&mut pooled) {
            let test: Vec<_> = ev
                .iter()
                .filter(|e| recordings.contains(&e.recording))
                .cloned()
                .collect();
            let r = eval::evaluate(&matcher, &test, name, &groups);
            let label = if mode == "loro" { "round" } else { "fold" };
            println!("\n{label} {t} {name}\n{}", r.group_table().trim_end());
            pool.add(&r);
        }
    }
    for pool in &pooled {
        println!("\npooled {}\n{}", pool.condition, pool.to_text());
    }
    println!("total {:.0} s", t0.elapsed().as_secs_f32());
    Ok(())
}

/// The rounds of leave-one-recording-out: round `r` holds out the `r`-th recording (in sorted
/// order) of every class with 2 to [`eval::MANY_RECORDINGS`] − 1 recordings.
fn loro_rounds(data: &dataset::Dataset, groups: &eval::ClassGroups) -> Vec<HashSet<String>> {
    let mut recordings: BTreeMap<u16, BTreeSet<&str>> = BTreeMap::new();
    for s in data
        .sounds
        .iter()
        .filter(|s| s.role == dataset::Role::Class)
    {
        if let Some(c) = s.class_id {
            recordings.entry(c).or_default().insert(&s.recording);
        }
    }
    let classes = sori::taxonomy::classes();
    let slug = |c: u16| classes.iter().find(|k| k.id == c).map_or("?", |k| &k.slug);
    let single: Vec<&str> = recordings
        .iter()
        .filter(|(_, r)| r.len() == 1)
        .map(|(&c, _)| slug(c))
        .collect();
    println!(
        "leave one recording out: classes with a single recording cannot be tested this way: {}",
        single.join(", ")
    );
    let few: Vec<Vec<&str>> = recordings
        .iter()
        .filter(|(&c, r)| r.len() >= 2 && groups.recordings(c) < eval::MANY_RECORDINGS)
        .map(|(_, r)| r.iter().copied().collect())
        .collect();
    let rounds = few.iter().map(Vec::len).max().unwrap_or(0);
    println!("{} classes with 2-9 recordings, {rounds} rounds", few.len());
    (0..rounds)
        .map(|r| {
            few.iter()
                .filter_map(|recs| recs.get(r).map(|s| s.to_string()))
                .collect()
        })
        .collect()
}
