//! Compares classifier-head settings on the held-out split without re-analysing audio:
//! `cargo run --release --example head_sweep -- ../shared/corpus [CONDITIONS]`
//!
//! Analyses the training clips (with augmentations) and the held-out clips under each condition
//! (default `clean,pink10,phone,gain-20`) once, then for each head setting builds the index from that
//! evidence exactly as `sori build` does and prints `sori eval`'s headline figures per condition.

use sori::build::{self, dataset, eval, evidence, BuildOptions};
use sori::matcher::{Matcher, MatcherOptions};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = std::path::PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let conditions = args
        .get(2)
        .map_or("clean,pink10,phone,gain-20", String::as_str);
    let base = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&base.model)?;
    let (train, test) = build::split(&data, base.holdout, base.seed);
    let quiet = |_: &str, _: u64, _: u64| {};
    let t0 = std::time::Instant::now();
    let training = evidence::collect(
        &model,
        &train,
        &|item| {
            build::training_variants(
                &BuildOptions {
                    augmentations: 4,
                    ..base.clone()
                },
                item,
            )
        },
        base.threads,
        false,
        &quiet,
    )?;
    let mut held_out = Vec::new();
    for name in conditions.split(',') {
        let condition = eval::Condition::parse(name)
            .ok_or_else(|| anyhow::anyhow!("unknown condition {name:?}"))?;
        let ev = evidence::collect_with(
            &model,
            &test,
            &|_| vec![evidence::Variant::Clean],
            base.threads,
            false,
            &quiet,
            &|x, n| condition.apply(x, n),
        )?;
        held_out.push((name.to_string(), ev));
    }
    eprintln!("analysed in {:.0} s", t0.elapsed().as_secs_f32());
    let settings = [(2usize, 1usize), (4, 2)];
    for (class_aug, other_aug) in settings {
        let label = format!("aug {class_aug}/{other_aug}");
        let kept: Vec<_> = training
            .iter()
            .filter(|e| match e.variant {
                evidence::Variant::Clean => true,
                evidence::Variant::Augmented(n) => {
                    n < if e.role == dataset::Role::Class {
                        class_aug
                    } else {
                        other_aug
                    }
                }
            })
            .cloned()
            .collect();
        let opts = BuildOptions {
            augmentations: class_aug,
            ..base.clone()
        };
        let (index, _) = build::index_from_evidence(&opts, &data, &train, test.len(), &kept)?;
        let mut trained_only = index.clone();
        trained_only.zero_shot.rules.clear();
        for (label, index) in [
            (label.clone(), index),
            (format!("{label} (no zero-shot)"), trained_only),
        ] {
            let matcher = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
            for (name, ev) in &held_out {
                let r = eval::evaluate(&matcher, ev, name);
                let best = r
                    .curve
                    .iter()
                    .filter(|c| c.2 <= 0.05)
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .copied()
                    .unwrap_or_default();
                println!(
                "{label:<18} {name:<8} top-1 {:5.1}  top-3 {:5.1}  open {:5.1} @ FA {:4.1}  rejected {:4.1}  (threshold {:.3}; best on this split: {:.1} @ {:.1} at {:.2})",
                100.0 * r.top1,
                100.0 * r.top3,
                100.0 * r.open_accuracy,
                100.0 * r.false_accept_rate,
                100.0 * r.class_rejected,
                matcher.index().head.unknown_threshold,
                100.0 * best.1,
                100.0 * best.2,
                best.0
            );
            }
        }
    }
    Ok(())
}
