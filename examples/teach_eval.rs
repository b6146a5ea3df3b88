//! Teaching, simulated with the corpus (issue 17): for each class with at least 4 recordings,
//! teach it from k = 1, 3, 5 examples taken from k of its recordings and test it on its other
//! recordings and on the held-out `other` clips, over several draws.
//!
//! ```text
//! cargo run --release --example teach_eval -- ../shared/corpus [DRAWS]     # default 5 draws
//! ```
//!
//! The classes to teach are split into two halves; for each half one index is built exactly as
//! `sori build` builds it, from the training side of its split (recordings, seed 7, 20% held out)
//! **without any recording of that half's classes**, so each taught class is a class the index
//! cannot answer (as the 46 classes without recordings are). Each class is then taught alone
//! (`teach::Teacher::teach` with the product's settings, as the page and `sori teach` do), one
//! clean clip per chosen recording, and measured on:
//!
//! - **top-1**: its clips from recordings it was not taught from, ranked first among every class
//!   the matcher offers;
//! - **right verdicts**: the share of those clips answered with it (not `unknown`, not another);
//! - **false accepts**, two numbers: held-out `other` clips answered with the taught class, and
//!   held-out `other` clips answered with any class (index or taught; the untaught index's figure
//!   beside it);
//! - **shipped classes**: the top-1 of the index's trained classes on their held-out clips, with
//!   the taught class against without it (change in points); beside it, the same change when the
//!   class is instead learned by the head from all its training recordings (an index with every
//!   class, ranked among the half-index's classes and that one): what adding that class costs the
//!   shipped ones even when it is well trained, so the gap between the two is teaching's share.
//!
//! Training clips are analysed once (with `sori build`'s augmentations) and reused.

use sori::build::{self, dataset, evidence, BuildOptions};
use sori::matcher::{Matcher, MatcherOptions, UNKNOWN};
use sori::teach::{Target, TaughtExample, Teacher};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A tiny deterministic generator (xorshift) for the draws.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Default, Clone)]
struct Tally {
    teaches: usize,
    clips: usize,
    top1: usize,
    right: usize,
    others: usize,
    fa_taught: usize,
    fa_any: usize,
    fa_any_base: usize,
    shipped: usize,
    shipped_top1: usize,
    shipped_top1_base: usize,
    shipped_top1_trained: usize,
    ms: Vec<f64>,
}

impl Tally {
    fn pct(a: usize, b: usize) -> f64 {
        if b == 0 {
            f64::NAN
        } else {
            100.0 * a as f64 / b as f64
        }
    }
    fn add(&mut self, o: &Tally) {
        self.teaches += o.teaches;
        self.clips += o.clips;
        self.top1 += o.top1;
        self.right += o.right;
        self.others += o.others;
        self.fa_taught += o.fa_taught;
        self.fa_any += o.fa_any;
        self.fa_any_base += o.fa_any_base;
        self.shipped += o.shipped;
        self.shipped_top1 += o.shipped_top1;
        self.shipped_top1_base += o.shipped_top1_base;
        self.shipped_top1_trained += o.shipped_top1_trained;
        self.ms.extend(&o.ms);
    }
    fn row(&self, label: &str) -> String {
        let mut ms = self.ms.clone();
        ms.sort_by(f64::total_cmp);
        let med = ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN);
        let max = ms.last().copied().unwrap_or(f64::NAN);
        format!(
            "| {label} | {} | {} | {:.1}% | {:.1}% | {:.1}% | {:.1}% ({:.1}%) | {:+.2} pt ({:+.2} pt) | {:.0} / {:.0} ms |",
            self.teaches,
            self.clips,
            Self::pct(self.top1, self.clips),
            Self::pct(self.right, self.clips),
            Self::pct(self.fa_taught, self.others),
            Self::pct(self.fa_any, self.others),
            Self::pct(self.fa_any_base, self.others),
            Self::pct(self.shipped_top1, self.shipped) - Self::pct(self.shipped_top1_base, self.shipped),
            Self::pct(self.shipped_top1_trained, self.shipped)
                - Self::pct(self.shipped_top1_base, self.shipped),
            med,
            max
        )
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = std::path::PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let draws: usize = args.get(2).map_or(Ok(5), |s| s.parse())?;
    let ks = [1usize, 3, 5];
    let opts = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&opts.model)?;
    let quiet = |_: &str, _: u64, _: u64| {};
    let t0 = std::time::Instant::now();
    let training = build::training_evidence(&opts, &model, &data.sounds, false, &quiet)?;
    let clean: Vec<&evidence::ClipEvidence> = training
        .iter()
        .filter(|e| e.variant == evidence::Variant::Clean && !e.embeddings.is_empty())
        .collect();
    println!(
        "analysed {} clips in {:.0} s",
        data.sounds.len(),
        t0.elapsed().as_secs_f32()
    );
    let test_recordings: HashSet<String> = build::split(&data, opts.holdout, opts.seed)
        .1
        .into_iter()
        .map(|s| s.recording)
        .collect();
    // Classes with at least 4 recordings, and their recordings.
    let mut recordings: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
    for s in data
        .sounds
        .iter()
        .filter(|s| s.role == dataset::Role::Class)
    {
        if let Some(c) = s.class_id {
            recordings.entry(c).or_default().insert(s.recording.clone());
        }
    }
    let taught_classes: Vec<u16> = recordings
        .iter()
        .filter(|(_, r)| r.len() >= 4)
        .map(|(&c, _)| c)
        .collect();
    let tax = sori::taxonomy::classes();
    let slug = |c: u16| tax.iter().find(|k| k.id == c).map_or("?", |k| &k.slug);
    println!(
        "{} classes with >= 4 recordings: {}",
        taught_classes.len(),
        taught_classes
            .iter()
            .map(|&c| format!("{} ({})", slug(c), recordings[&c].len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let halves: [Vec<u16>; 2] = [
        taught_classes.iter().copied().step_by(2).collect(),
        taught_classes.iter().copied().skip(1).step_by(2).collect(),
    ];
    // The same class learned by the head from all its training recordings (one index with every
    // class): what adding that class costs the shipped ones even when it is well trained.
    let full = Matcher::new(
        build::index_from_kept(&opts, &data, &training, &|rec, _, _| {
            !test_recordings.contains(rec)
        })?,
        MatcherOptions::default().fingerprints(false),
    )?;
    let mut per_k: Vec<Tally> = vec![Tally::default(); ks.len()];
    let mut per_class: BTreeMap<(u16, usize), Tally> = BTreeMap::new();
    for half in &halves {
        let index = build::index_from_kept(&opts, &data, &training, &|rec, _, class| {
            !test_recordings.contains(rec) && !class.is_some_and(|c| half.contains(&c))
        })?;
        let trained: Vec<u16> = index
            .classes
            .iter()
            .filter(|c| c.coverage.is_trained())
            .map(|c| c.info.id)
            .collect();
        let teacher = Teacher::new(&index)?;
        let base = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
        // Held-out clips: `other` ones and the index's trained classes'.
        let others: Vec<&evidence::ClipEvidence> = clean
            .iter()
            .copied()
            .filter(|e| e.role == dataset::Role::Other && test_recordings.contains(&e.recording))
            .collect();
        let shipped: Vec<&evidence::ClipEvidence> = clean
            .iter()
            .copied()
            .filter(|e| {
                e.role == dataset::Role::Class
                    && test_recordings.contains(&e.recording)
                    && e.class_id.is_some_and(|c| trained.contains(&c))
            })
            .collect();
        let base_other: Vec<String> = others
            .iter()
            .map(|e| {
                base.decide(&e.embedding_refs(), &e.score_refs(), None)
                    .verdict
            })
            .collect();
        let base_shipped: Vec<bool> = shipped
            .iter()
            .map(|e| {
                base.rank(&e.embedding_refs(), &e.score_refs())
                    .first()
                    .map(|r| r.0)
                    == e.class_id
            })
            .collect();
        let full_ranked: Vec<Vec<(u16, f32)>> = shipped
            .iter()
            .map(|e| full.rank(&e.embedding_refs(), &e.score_refs()))
            .collect();
        for &class in half {
            // Shipped clips still ranked first with `class` trained from all its recordings,
            // among the half-index's trained classes and `class`.
            let trained_right = shipped
                .iter()
                .zip(&full_ranked)
                .filter(|(e, ranked)| {
                    ranked
                        .iter()
                        .find(|(c, _)| *c == class || trained.contains(c))
                        .map(|r| r.0)
                        == e.class_id
                })
                .count();
            let recs: Vec<&String> = recordings[&class].iter().collect();
            let class_slug = slug(class).to_string();
            for (ki, &k) in ks.iter().enumerate() {
                if recs.len() < k + 1 {
                    continue;
                }
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (u64::from(class) << 8) ^ k as u64);
                for _ in 0..draws {
                    // k distinct recordings, one clip of each.
                    let mut order: Vec<usize> = (0..recs.len()).collect();
                    for i in (1..order.len()).rev() {
                        order.swap(i, rng.below(i + 1));
                    }
                    let chosen: HashSet<&String> = order[..k].iter().map(|&i| recs[i]).collect();
                    let mut examples = Vec::new();
                    for r in &chosen {
                        let clips: Vec<&&evidence::ClipEvidence> = clean
                            .iter()
                            .filter(|e| e.class_id == Some(class) && &&e.recording == r)
                            .collect();
                        if clips.is_empty() {
                            continue;
                        }
                        let e = clips[rng.below(clips.len())];
                        examples.push(TaughtExample::new(e.embeddings.clone(), None));
                    }
                    let started = std::time::Instant::now();
                    let (pack, _) = teacher.teach(
                        &teacher.empty_pack(),
                        &Target::Shipped {
                            slug: class_slug.clone(),
                            replace: false,
                        },
                        examples,
                        &[],
                    )?;
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    let m = base.with_pack(&pack)?;
                    let mut t = Tally {
                        teaches: 1,
                        ms: vec![ms],
                        ..Default::default()
                    };
                    for e in clean.iter().filter(|e| {
                        e.class_id == Some(class)
                            && e.role == dataset::Role::Class
                            && !chosen.contains(&e.recording)
                    }) {
                        let ranked = m.rank(&e.embedding_refs(), &e.score_refs());
                        let r = m.decide_ranked(&ranked, false, None);
                        t.clips += 1;
                        t.top1 += usize::from(ranked.first().map(|r| r.0) == Some(class));
                        t.right += usize::from(r.verdict == class_slug);
                    }
                    for (e, b) in others.iter().zip(&base_other) {
                        let r = m.decide(&e.embedding_refs(), &e.score_refs(), None);
                        t.others += 1;
                        t.fa_taught += usize::from(r.verdict == class_slug);
                        t.fa_any += usize::from(r.verdict != UNKNOWN);
                        t.fa_any_base += usize::from(b != UNKNOWN);
                    }
                    for (e, &b) in shipped.iter().zip(&base_shipped) {
                        let top = m
                            .rank(&e.embedding_refs(), &e.score_refs())
                            .first()
                            .map(|r| r.0);
                        t.shipped += 1;
                        t.shipped_top1 += usize::from(top == e.class_id);
                        t.shipped_top1_base += usize::from(b);
                    }
                    t.shipped_top1_trained += trained_right;
                    per_k[ki].add(&t);
                    per_class.entry((class, k)).or_default().add(&t);
                }
            }
        }
    }
    println!(
        "\n{draws} draws per class and k; taught classes left out of the index they are taught on\n"
    );
    let header = "| k | teachings | test clips | top-1 | right verdict | false accepts: taught class | false accepts: any class (untaught) | shipped top-1 change (same class trained from all its recordings) | learning median / max |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|";
    println!("{header}");
    for (ki, &k) in ks.iter().enumerate() {
        println!("{}", per_k[ki].row(&k.to_string()));
    }
    println!(
        "\nper class\n\n{}",
        header.replacen("| k |", "| class, k |", 1)
    );
    for ((class, k), t) in &per_class {
        println!("{}", t.row(&format!("{} {k}", slug(*class))));
    }
    println!("\ntotal {:.0} s", t0.elapsed().as_secs_f32());
    Ok(())
}
