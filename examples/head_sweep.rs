//! Compares classifier-head settings without re-analysing audio:
//! `cargo run --release --example head_sweep -- ../shared/corpus [CONDITIONS]`
//!
//! Analyses the training clips (with `sori build`'s augmentations) and the held-out clips under each
//! condition (default `clean,pink10,phone`) once. Then, for each head setting, it builds an index
//! exactly as `sori build` does twice: once from 75% of the training recordings, scored on the other
//! 25% (clean clips; the **validation** figures, which choose a setting without looking at the test
//! split), and once from all training recordings, scored on the held-out split (the **test** figures
//! `sori eval` reports).

use sori::build::train::TrainOptions;
use sori::build::{self, dataset, eval, evidence, BuildOptions};
use sori::matcher::{Matcher, MatcherOptions};

fn report(label: &str, split: &str, matcher: &Matcher, ev: &[evidence::ClipEvidence]) {
    let r = eval::evaluate(matcher, ev, split);
    let best = r
        .curve
        .iter()
        .filter(|c| c.2 <= 0.05)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .copied()
        .unwrap_or_default();
    println!(
        "{label:<26} {split:<10} top-1 {:5.1}  top-3 {:5.1}  open {:5.1} @ FA {:4.1}  rejected {:4.1}  (threshold {:.3}; best at FA <= 5%: {:.1} @ {:.1})",
        100.0 * r.top1,
        100.0 * r.top3,
        100.0 * r.open_accuracy,
        100.0 * r.false_accept_rate,
        100.0 * r.class_rejected,
        matcher.index().head.unknown_threshold,
        100.0 * best.1,
        100.0 * best.2,
    );
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = std::path::PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let conditions = args.get(2).map_or("clean,pink10,phone", String::as_str);
    let base = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&base.model)?;
    let (train, test) = build::split(&data, base.holdout, base.seed);
    let (inner_train, validation) = dataset::split_by_recording(&train, 0.25, base.seed + 100);
    let quiet = |_: &str, _: u64, _: u64| {};
    let t0 = std::time::Instant::now();
    let training = build::training_evidence(&base, &model, &train, false, &quiet)?;
    let mut held_out = Vec::new();
    for name in conditions.split(',') {
        let condition = eval::Condition::parse(name)
            .ok_or_else(|| anyhow::anyhow!("unknown condition {name:?}"))?;
        let ev = condition.analyse(&model, &test, base.threads, &quiet)?;
        held_out.push((format!("test {name}"), ev));
    }
    eprintln!("analysed in {:.0} s", t0.elapsed().as_secs_f32());
    let in_split = |items: &[dataset::SoundItem], e: &evidence::ClipEvidence| {
        items.iter().any(|s| s.recording == e.recording)
    };
    let fit: Vec<_> = training
        .iter()
        .filter(|e| in_split(&inner_train, e))
        .cloned()
        .collect();
    let val: Vec<_> = training
        .iter()
        .filter(|e| in_split(&validation, e) && e.variant == evidence::Variant::Clean)
        .cloned()
        .collect();
    let defaults = TrainOptions::default();
    let settings: Vec<(String, TrainOptions)> = std::env::var("SWEEP")
        .unwrap_or_else(|_| "2:0.03,6:0.03,13:0.03,13:0.01,30:0.03".into())
        .split(',')
        .map(|s| {
            let (w, l2) = s.split_once(':').expect("SWEEP is other_weight:l2,...");
            (
                format!("other {w} l2 {l2}"),
                TrainOptions {
                    other_weight: w.parse().expect("number"),
                    l2: l2.parse().expect("number"),
                    ..defaults.clone()
                },
            )
        })
        .collect();
    for (label, train_opts) in settings {
        let opts = BuildOptions {
            train: train_opts,
            ..base.clone()
        };
        let (index, _) = build::index_from_evidence(&opts, &data, &inner_train, 0, &fit)?;
        let matcher = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
        report(&label, "validation", &matcher, &val);
        let (index, _) = build::index_from_evidence(&opts, &data, &train, test.len(), &training)?;
        let matcher = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
        for (name, ev) in &held_out {
            report(&label, name, &matcher, ev);
        }
    }
    Ok(())
}
