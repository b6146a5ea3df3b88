//! Cross-validation by recording: every clip of the corpus is tested once, by an index built
//! (exactly as `sori build` builds it) from the recordings of the other folds.
//! `cargo run --release --example crossval -- ../shared/corpus [FOLDS] [CONDITIONS]`
//!
//! The single 20% split `sori eval` reports holds 134 class clips from about 50 recordings, so
//! one recording moves top-1 by several points; five folds test all ~650 class clips and ~690
//! `other` clips. Training clips are analysed once (with `sori build`'s augmentations) and reused by
//! every fold; held-out clips are analysed clean and under each condition (default `clean`).
//! Prints each fold's figures and the pooled ones (counts summed over folds).

use sori::build::{self, dataset, eval, evidence, BuildOptions};
use sori::matcher::{Matcher, MatcherOptions};

/// Counts pooled over folds.
#[derive(Default)]
struct Pooled {
    class_clips: f32,
    other_clips: f32,
    top1: f32,
    top3: f32,
    open: f32,
    false_accepts: f32,
}

impl Pooled {
    fn add(&mut self, r: &eval::EvalReport) {
        let (c, o) = (r.class_clips as f32, r.other_clips as f32);
        self.class_clips += c;
        self.other_clips += o;
        self.top1 += r.top1 * c;
        self.top3 += r.top3 * c;
        self.open += r.open_accuracy * (c + o);
        self.false_accepts += r.false_accept_rate * o;
    }

    fn line(&self) -> String {
        let pct = |v: f32, n: f32| 100.0 * v / n.max(1.0);
        format!(
            "top-1 {:5.1}  top-3 {:5.1}  open {:5.1} @ FA {:4.1}  ({} class clips, {} other)",
            pct(self.top1, self.class_clips),
            pct(self.top3, self.class_clips),
            pct(self.open, self.class_clips + self.other_clips),
            pct(self.false_accepts, self.other_clips),
            self.class_clips.round(),
            self.other_clips.round(),
        )
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = std::path::PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let k: usize = args.get(2).map_or(Ok(5), |s| s.parse())?;
    let conditions = args.get(3).map_or("clean", String::as_str);
    let opts = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&opts.model)?;
    let quiet = |_: &str, _: u64, _: u64| {};
    let t0 = std::time::Instant::now();
    let training = build::training_evidence(&opts, &model, &data.sounds, false, &quiet)?;
    let mut held_out = Vec::new();
    for name in conditions.split(',') {
        if name == "clean" {
            let clean = training
                .iter()
                .filter(|e| e.variant == evidence::Variant::Clean);
            held_out.push((name.to_string(), clean.cloned().collect()));
            continue;
        }
        let condition = eval::Condition::parse(name)
            .ok_or_else(|| anyhow::anyhow!("unknown condition {name:?}"))?;
        let ev = condition.analyse(&model, &data.sounds, opts.threads, &quiet)?;
        held_out.push((name.to_string(), ev));
    }
    println!(
        "analysed {} clips in {:.0} s; {k} folds by recording (seed {})",
        data.sounds.len(),
        t0.elapsed().as_secs_f32(),
        opts.seed
    );
    let mut pooled: Vec<Pooled> = held_out.iter().map(|_| Pooled::default()).collect();
    for (f, fold) in build::folds_by_recording(&data.sounds, k, opts.seed)
        .iter()
        .enumerate()
    {
        let index =
            build::index_from_kept(&opts, &data, &training, &|rec, _, _| !fold.contains(rec))?;
        let matcher = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
        for ((name, ev), pool) in held_out.iter().zip(&mut pooled) {
            let test: Vec<_> = ev
                .iter()
                .filter(|e| fold.contains(&e.recording))
                .cloned()
                .collect();
            let r = eval::evaluate(&matcher, &test, name);
            let mut one = Pooled::default();
            one.add(&r);
            println!("fold {f} {name:<8} {}", one.line());
            pool.add(&r);
        }
    }
    for ((name, _), pool) in held_out.iter().zip(&pooled) {
        println!("pooled {name:<8} {}", pool.line());
    }
    println!("total {:.0} s", t0.elapsed().as_secs_f32());
    Ok(())
}
