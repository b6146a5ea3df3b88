//! Zero-shot accuracy on the classes' own recordings, measured by leaving each class out.
//! `cargo run --release --example zero_shot_eval -- ../shared/corpus`
//!
//! Most of the 76 classes have no recordings and are scored only from the model's AudioSet labels
//! (`assets/audioset_map.tsv`), counted for the share of probability the trained head leaves to
//! "other". Their accuracy cannot be measured on classes nobody recorded, but it can on the classes
//! of the corpus that also have a zero-shot rule: for each such class, an index is built exactly as
//! `sori build` builds it from the whole corpus **without that class's recordings** (so the class
//! becomes zero-shot), and all its clips are matched. Per class it prints how they are answered
//! (top-1, top-3, right verdict, `unknown`, the most common other verdicts), then the pooled
//! figures by the class's group (≥ 10 recordings, 1–9). Indexes are built on two threads.

use sori::build::{self, dataset, eval, evidence, BuildOptions};
use sori::matcher::{Matcher, MatcherOptions, UNKNOWN};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// How one left-out class's clips were answered.
#[derive(Default, Clone)]
struct Tally {
    clips: usize,
    top1: usize,
    top3: usize,
    right: usize,
    unknown: usize,
    verdicts: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.clips += o.clips;
        self.top1 += o.top1;
        self.top3 += o.top3;
        self.right += o.right;
        self.unknown += o.unknown;
        for (k, n) in &o.verdicts {
            *self.verdicts.entry(k.clone()).or_default() += n;
        }
    }

    fn line(&self) -> String {
        let pct = |a: usize| 100.0 * a as f32 / self.clips.max(1) as f32;
        format!(
            "{:4} clips  top-1 {:5.1}  top-3 {:5.1}  right {:5.1}  unknown {:5.1}",
            self.clips,
            pct(self.top1),
            pct(self.top3),
            pct(self.right),
            pct(self.unknown)
        )
    }
}

/// Scores `clips` (all of class `truth`) against `matcher`.
fn tally(matcher: &Matcher, clips: &[&evidence::ClipEvidence], truth: u16) -> Tally {
    let slug = matcher
        .index()
        .class_by_id(truth)
        .map(|c| c.info.slug.clone())
        .unwrap_or_default();
    let mut t = Tally::default();
    for e in clips {
        let emb = e.embedding_refs();
        let ranked = matcher.rank(&emb, &e.score_refs());
        let verdict = matcher.decide_ranked(&ranked, emb.is_empty(), None).verdict;
        t.clips += 1;
        t.top1 += ranked.first().is_some_and(|r| r.0 == truth) as usize;
        t.top3 += ranked.iter().take(3).any(|r| r.0 == truth) as usize;
        t.right += (verdict == slug) as usize;
        t.unknown += (verdict == UNKNOWN) as usize;
        *t.verdicts.entry(verdict).or_default() += 1;
    }
    t
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = std::path::PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let opts = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&opts.model)?;
    let groups = eval::ClassGroups::from_sounds(&data.sounds);
    let t0 = std::time::Instant::now();
    let training = build::training_evidence(&opts, &model, &data.sounds, false, &|_, _, _| {})?;
    let rules = build::zero_shot::rules()?;
    let mut left_out: Vec<u16> = data
        .sounds
        .iter()
        .filter(|s| s.role == dataset::Role::Class)
        .filter_map(|s| s.class_id)
        .filter(|c| rules.iter().any(|r| r.class_id == *c))
        .collect();
    left_out.sort_unstable();
    left_out.dedup();
    println!(
        "analysed {} clips in {:.0} s; {} classes with recordings and a zero-shot rule, left out in turn",
        data.sounds.len(),
        t0.elapsed().as_secs_f32(),
        left_out.len()
    );
    let next = Mutex::new(0usize);
    let results: Mutex<BTreeMap<u16, Tally>> = Mutex::new(BTreeMap::new());
    let one = |c: u16| -> anyhow::Result<Tally> {
        let keep = |_: &str, role: dataset::Role, class: Option<u16>| {
            !(role == dataset::Role::Class && class == Some(c))
        };
        let index = build::index_from_kept(&opts, &data, &training, &keep)?;
        let matcher = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
        let mine: Vec<&evidence::ClipEvidence> = training
            .iter()
            .filter(|e| {
                e.variant == evidence::Variant::Clean
                    && e.error.is_none()
                    && e.role == dataset::Role::Class
                    && e.class_id == Some(c)
            })
            .collect();
        Ok(tally(&matcher, &mine, c))
    };
    std::thread::scope(|s| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..opts.threads.clamp(1, 2))
            .map(|_| {
                s.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let j = {
                            let mut n = next.lock().expect("no worker panics holding it");
                            *n += 1;
                            *n - 1
                        };
                        let Some(&c) = left_out.get(j) else {
                            return Ok(());
                        };
                        let t = one(c)?;
                        results
                            .lock()
                            .expect("no worker panics holding it")
                            .insert(c, t);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker panicked")?;
        }
        Ok(())
    })?;
    let classes = sori::taxonomy::classes();
    let slug = |c: u16| {
        classes
            .iter()
            .find(|k| k.id == c)
            .map_or_else(|| c.to_string(), |k| k.slug.clone())
    };
    let results = results.into_inner().expect("workers finished");
    println!("\neach class left out, its clips answered as a zero-shot class:");
    let mut by_group: BTreeMap<bool, Tally> = BTreeMap::new();
    for (&c, t) in &results {
        let mut v: Vec<_> = t.verdicts.iter().filter(|(k, _)| **k != UNKNOWN).collect();
        v.sort_by_key(|x| std::cmp::Reverse(*x.1));
        let v: Vec<String> = v.iter().take(3).map(|(k, n)| format!("{k} {n}")).collect();
        println!("  {:<20} {}  ({})", slug(c), t.line(), v.join(", "));
        by_group
            .entry(groups.recordings(c) >= eval::MANY_RECORDINGS)
            .or_default()
            .add(t);
    }
    println!("\npooled");
    let mut all = Tally::default();
    for (many, t) in &by_group {
        let name = if *many {
            eval::Group::Many.label()
        } else {
            eval::Group::Few.label()
        };
        println!("  {name:<32} {}", t.line());
        all.add(t);
    }
    println!("  {:<32} {}", "all", all.line());
    println!("total {:.0} s", t0.elapsed().as_secs_f32());
    Ok(())
}
