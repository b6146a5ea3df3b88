//! The analysis choices behind the shipped embedding, compared on the corpus with the product's own
//! head trainer, cross-validated by recording:
//! `cargo run --release --example analysis_variants -- ../shared/corpus`
//!
//! Every sound is analysed once per variant, with `sori build`'s training augmentations:
//!
//! - `windowed` (shipped): 0.975 s windows every 0.48 s, each loudness-normalised, mn04's 384 pooled
//!   features per window, the clip vector is mean‖max over the windows;
//! - `windowed, hidden`: the same windows, mn04's 512 hidden values instead of the features;
//! - `windowed, raw level`: the same windows without loudness normalisation;
//! - `whole clip`: the clip in one pass (loudness-normalised as a whole), mn04's 384 pooled features
//!   (mean only: one "window").
//!
//! For each variant and each of 5 folds by recording (`build::folds_by_recording`), a head is
//! trained exactly as `sori build` trains it (`train::train_head`, other groups by source label) on
//! the other folds and scores the fold's clean clips. Reported per group (classes with ≥ 10
//! recordings, with 1–9): top-1 and top-3 over the trained classes, and the share of class clips
//! with the right verdict when one threshold on the best class's probability lets through 5% of
//! the `other` clips (an oracle threshold, the same for every variant: it compares embeddings, the
//! shipped calibration is measured by `examples/crossval.rs`).

use sori::audio;
use sori::build::dataset::{self, Role, SoundItem};
use sori::build::train::{self, Example, Target};
use sori::build::{self, eval, evidence, BuildOptions};
use sori::embed::efficientat::{Mn04, Mn04Output};
use sori::features::{EfficientAtMel, LogMel};
use sori::matcher::{clip_embedding, Analyzer, HOP_SAMPLES, WINDOW_SAMPLES};
use std::sync::Mutex;

const VARIANTS: [&str; 4] = [
    "windowed (shipped)",
    "windowed, hidden",
    "windowed, raw level",
    "whole clip",
];

/// One clip variant's vectors, one per [`VARIANTS`] entry (empty when silent).
struct Clip {
    item: usize,
    clean: bool,
    vectors: Vec<Vec<f32>>,
}

/// mn04 on `samples` (16 kHz), optionally loudness-normalised first.
fn run(
    model: &Mn04,
    front: &mut EfficientAtMel,
    scratch: &mut sori::embed::efficientat::Mn04Scratch,
    samples: &[f32],
    normalise: bool,
) -> Option<Mn04Output> {
    let mut x = samples.to_vec();
    audio::sanitize(&mut x);
    if audio::is_silent(&x) {
        return None;
    }
    if normalise {
        audio::normalise_loudness(&mut x);
    }
    let mut mel = LogMel::default();
    front.compute_16k_into(&x, &mut mel);
    model.forward(&mel, scratch).ok()
}

fn analyse(model: &std::sync::Arc<Mn04>, samples: &[f32]) -> Vec<Vec<f32>> {
    let mut analyzer = Analyzer::new(std::sync::Arc::clone(model));
    let (mut front, mut scratch) = (EfficientAtMel::new(), model.new_scratch());
    let mut features = Vec::new();
    let mut hidden = Vec::new();
    let mut raw = Vec::new();
    for start in Analyzer::window_starts(samples.len()) {
        let window = Analyzer::window_at(samples, start);
        if analyzer.analyse_window(window).is_none() {
            continue;
        }
        let mut padded = window.to_vec();
        padded.resize(WINDOW_SAMPLES, 0.0);
        let normalised = run(model, &mut front, &mut scratch, &padded, true);
        let plain = run(model, &mut front, &mut scratch, &padded, false);
        if let (Some(n), Some(p)) = (normalised, plain) {
            features.push(n.features);
            hidden.push(n.hidden);
            raw.push(p.features);
        }
    }
    let pool = |v: &Vec<Vec<f32>>| {
        let refs: Vec<&[f32]> = v.iter().map(Vec::as_slice).collect();
        if refs.is_empty() {
            Vec::new()
        } else {
            clip_embedding(&refs, refs[0].len())
        }
    };
    let whole = run(model, &mut front, &mut scratch, samples, true)
        .map(|o| o.features)
        .unwrap_or_default();
    vec![pool(&features), pool(&hidden), pool(&raw), whole]
}

fn main() -> anyhow::Result<()> {
    let input = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/corpus".into()),
    );
    let opts = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&opts.model)?;
    let t0 = std::time::Instant::now();
    let clips: Mutex<Vec<Clip>> = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..opts.threads.max(1) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().expect("no worker panics holding it");
                    *n += 1;
                    *n - 1
                };
                let Some(item) = data.sounds.get(i) else {
                    return;
                };
                let Ok(samples) = evidence::load_16k(&item.path) else {
                    eprintln!("skipped: {} does not decode", item.path.display());
                    continue;
                };
                let name = item
                    .path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                for variant in build::training_variants(&opts, item) {
                    let (audio, clean) = match variant {
                        evidence::Variant::Clean => (samples.clone(), true),
                        evidence::Variant::Augmented(n) => {
                            (evidence::augment_clip(&samples, &name, n), false)
                        }
                    };
                    let vectors = analyse(&model, &audio);
                    clips
                        .lock()
                        .expect("no worker panics holding it")
                        .push(Clip {
                            item: i,
                            clean,
                            vectors,
                        });
                }
            });
        }
    });
    let mut clips = clips.into_inner().expect("workers finished");
    clips.sort_by_key(|c| (c.item, !c.clean));
    println!(
        "analysed {} clip variants in {:.0} s (the window step is {HOP_SAMPLES} samples)",
        clips.len(),
        t0.elapsed().as_secs_f32()
    );
    let groups = eval::ClassGroups::from_sounds(&data.sounds);
    let folds = build::folds_by_recording(&data.sounds, 5, opts.seed);
    let other_groups = build::other_groups(&data.sounds);
    let target = |s: &SoundItem| match (s.role, s.class_id) {
        (Role::Class, Some(c)) => Target::Class(c),
        _ => Target::Other(other_groups.get(s.label.as_str()).copied().unwrap_or(0)),
    };
    for (v, name) in VARIANTS.iter().enumerate() {
        // (truth class or None for `other`, ranked classes, best probability) per held-out clip.
        let mut scored: Vec<(Option<u16>, Vec<u16>, f32)> = Vec::new();
        for fold in &folds {
            let in_fold = |c: &Clip| fold.contains(&data.sounds[c.item].recording);
            let fit: Vec<Example> = clips
                .iter()
                .filter(|c| !in_fold(c) && !c.vectors[v].is_empty())
                .map(|c| Example {
                    x: c.vectors[v].clone(),
                    target: target(&data.sounds[c.item]),
                })
                .collect();
            let head = train::train_head(&fit, &opts.train);
            for c in clips
                .iter()
                .filter(|c| in_fold(c) && c.clean && !c.vectors[v].is_empty())
            {
                let s = &data.sounds[c.item];
                let truth = match s.role {
                    Role::Class => s.class_id,
                    Role::Other => None,
                    Role::Near => continue,
                };
                let p = head.probabilities(&c.vectors[v]);
                let mut ranked: Vec<(u16, f32)> = head
                    .outputs
                    .iter()
                    .zip(&p)
                    .filter(|(&o, _)| o != 0)
                    .map(|(&o, &q)| (o, q))
                    .collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
                let best = ranked.first().map_or(0.0, |r| r.1);
                scored.push((truth, ranked.iter().map(|r| r.0).collect(), best));
            }
        }
        let mut others: Vec<f32> = scored
            .iter()
            .filter(|s| s.0.is_none())
            .map(|s| s.2)
            .collect();
        others.sort_by(|a, b| b.total_cmp(a));
        let threshold = others.get(others.len() / 20).copied().unwrap_or(0.0) + 1e-6;
        let mut line = format!("{name:<22}");
        for many in [true, false] {
            let rows: Vec<_> = scored
                .iter()
                .filter_map(|(t, r, b)| {
                    let t = (*t)?;
                    ((groups.recordings(t) >= eval::MANY_RECORDINGS) == many && r.contains(&t))
                        .then_some((t, r, *b))
                })
                .collect();
            let n = rows.len().max(1) as f32;
            let pct = |k: usize| 100.0 * k as f32 / n;
            let top1 = rows.iter().filter(|(t, r, _)| r[0] == *t).count();
            let top3 = rows
                .iter()
                .filter(|(t, r, _)| r[..3.min(r.len())].contains(t))
                .count();
            let right = rows
                .iter()
                .filter(|(t, r, b)| r[0] == *t && *b >= threshold)
                .count();
            line.push_str(&format!(
                "  {}: top-1 {:5.1} top-3 {:5.1} right {:5.1} ({} clips)",
                if many { "many" } else { "few" },
                pct(top1),
                pct(top3),
                pct(right),
                rows.len()
            ));
        }
        println!("{line}");
    }
    println!("total {:.0} s", t0.elapsed().as_secs_f32());
    Ok(())
}
