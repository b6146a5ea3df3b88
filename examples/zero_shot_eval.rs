//! Zero-shot accuracy, measured by leaving trained classes out.
//! `cargo run --release --example zero_shot_eval -- ../shared/corpus [FOLDS] [RUN]`
//!
//! 50 of the 63 classes the default index offers are zero-shot: they have no recordings, and are
//! scored from YAMNet's AudioSet labels (`assets/audioset_map.tsv`) for the share of probability
//! the trained head leaves to "other". Their accuracy cannot be measured on the classes they
//! stand for, but it can on the 12 trained classes that also have a zero-shot rule: for each such
//! class, an index is built exactly as `sori build` builds it from the training folds *without
//! that class's recordings* (so the class becomes zero-shot), and its held-out clips are matched.
//!
//! Per class it prints how its clips are answered as a zero-shot class (top-1, top-3, right
//! verdict, `unknown`, another class), and, from the same indexes, the top-1 of the held-out clips
//! of the other classes left out in turn (trained in those indexes). Both are also printed with the zero-shot score's exponent on
//! `p_other` changed from the shipped 2 (`zero_shot_score`) to 1, 3, 4 and 6 (ranking only; the
//! verdicts use the calibrated thresholds of the shipped formula), which is how that exponent is
//! checked. `FOLDS` folds by recording (default 5); `RUN` the folds run: `0` (default: the
//! default split `sori eval` uses) or `all`. Indexes are built on two threads.

use sori::build::{self, dataset, evidence, BuildOptions};
use sori::matcher::{Coverage, Matcher, MatcherOptions, UNKNOWN};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The exponent of `p_other` in the shipped zero-shot score ([`sori::matcher::zero_shot_score`]).
const SHIPPED_EXPONENT: i32 = 2;
/// Exponents of `p_other` compared.
const EXPONENTS: [i32; 5] = [1, SHIPPED_EXPONENT, 3, 4, 6];
/// Position of the shipped exponent in [`EXPONENTS`].
const SHIPPED: usize = 1;
const _: () = assert!(EXPONENTS[SHIPPED] == SHIPPED_EXPONENT);

/// Counts for one left-out class (its clips answered as a zero-shot class) or for the trained
/// classes' clips scored by the same indexes.
#[derive(Default, Clone)]
struct Tally {
    clips: usize,
    /// Top-1 hits per exponent.
    top1: [usize; EXPONENTS.len()],
    /// Top-3 hits per exponent.
    top3: [usize; EXPONENTS.len()],
    /// Verdict is the class (shipped formula and thresholds).
    right: usize,
    /// Verdict is `unknown`.
    unknown: usize,
    /// Count of each verdict (shipped formula and thresholds).
    verdicts: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.clips += o.clips;
        self.right += o.right;
        self.unknown += o.unknown;
        for (k, n) in &o.verdicts {
            *self.verdicts.entry(k.clone()).or_default() += n;
        }
        for i in 0..EXPONENTS.len() {
            self.top1[i] += o.top1[i];
            self.top3[i] += o.top3[i];
        }
    }
}

/// What one index (one fold, one class left out) measured.
struct LeftOut {
    /// The left-out class's held-out clips.
    zero_shot: Tally,
    /// The held-out clips of the other classes left out in turn (trained in this index).
    trained: Tally,
}

fn pct(a: usize, n: usize) -> f32 {
    100.0 * a as f32 / n.max(1) as f32
}

/// Hit counts as percentages of `n`, one per exponent.
fn percents(hits: &[usize], n: usize) -> String {
    let v: Vec<String> = hits.iter().map(|&h| format!("{:5.1}", pct(h, n))).collect();
    v.join(" ")
}

/// `ranked` (from [`Matcher::rank`], zero-shot scores `evidence * p_other^SHIPPED_EXPONENT`)
/// re-scored with `p_other^exponent` and re-sorted.
fn rescored(
    matcher: &Matcher,
    ranked: &[(u16, f32)],
    p_other: f32,
    exponent: i32,
) -> Vec<(u16, f32)> {
    let index = matcher.index();
    let mut out: Vec<(u16, f32)> = ranked
        .iter()
        .map(|&(c, s)| {
            let zs = index
                .class_by_id(c)
                .is_some_and(|k| k.coverage == Coverage::ZeroShot);
            if zs {
                (c, s * p_other.max(1e-12).powi(exponent - SHIPPED_EXPONENT))
            } else {
                (c, s)
            }
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// Scores `clips` (all of class `truth`) against `matcher`.
fn tally(matcher: &Matcher, clips: &[&evidence::ClipEvidence], truth: u16) -> Tally {
    let head = &matcher.index().head;
    let slug = matcher
        .index()
        .class_by_id(truth)
        .map(|c| c.info.slug.clone())
        .unwrap_or_default();
    let mut t = Tally::default();
    for e in clips {
        let (emb, scores) = (e.embedding_refs(), e.score_refs());
        let ranked = matcher.rank(&emb, &scores);
        let p_other = head.other_probability(&head.probabilities(&e.clip_embedding()));
        let verdict = matcher.decide_ranked(&ranked, emb.is_empty(), None).verdict;
        t.clips += 1;
        t.right += (verdict == slug) as usize;
        t.unknown += (verdict == UNKNOWN) as usize;
        *t.verdicts.entry(verdict).or_default() += 1;
        for (i, &x) in EXPONENTS.iter().enumerate() {
            let r = rescored(matcher, &ranked, p_other, x);
            t.top1[i] += r.first().is_some_and(|r| r.0 == truth) as usize;
            t.top3[i] += r.iter().take(3).any(|r| r.0 == truth) as usize;
        }
    }
    t
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = std::path::PathBuf::from(args.get(1).map_or("../shared/corpus", String::as_str));
    let k: usize = args.get(2).map_or(Ok(5), |s| s.parse())?;
    let run_all = args.get(3).is_some_and(|s| s == "all");
    let opts = BuildOptions::new(input.clone());
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let model = build::load_model(&opts.model)?;
    let t0 = std::time::Instant::now();
    let training = build::training_evidence(&opts, &model, &data.sounds, false, &|_, _, _| {})?;
    // Trained classes that also have a zero-shot rule.
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
    let folds = build::folds_by_recording(&data.sounds, k, opts.seed);
    let run: Vec<usize> = if run_all { (0..k).collect() } else { vec![0] };
    println!(
        "analysed {} clips in {:.0} s; {} classes left out in turn, fold(s) {:?} of {k}",
        data.sounds.len(),
        t0.elapsed().as_secs_f32(),
        left_out.len(),
        run
    );
    let jobs: Vec<(usize, u16)> = run
        .iter()
        .flat_map(|&f| left_out.iter().map(move |&c| (f, c)))
        .collect();
    let next = Mutex::new(0usize);
    let results: Mutex<BTreeMap<(usize, u16), LeftOut>> = Mutex::new(BTreeMap::new());
    let one = |f: usize, c: u16| -> anyhow::Result<LeftOut> {
        let fold = &folds[f];
        let is_left_out = |role: dataset::Role, class: Option<u16>| {
            role == dataset::Role::Class && class == Some(c)
        };
        let keep = |rec: &str, role: dataset::Role, class: Option<u16>| {
            !fold.contains(rec) && !is_left_out(role, class)
        };
        let index = build::index_from_kept(&opts, &data, &training, &keep)?;
        let matcher = Matcher::new(index, MatcherOptions::default().fingerprints(false))?;
        let held: Vec<&evidence::ClipEvidence> = training
            .iter()
            .filter(|e| {
                fold.contains(&e.recording)
                    && e.variant == evidence::Variant::Clean
                    && e.error.is_none()
                    && e.role == dataset::Role::Class
            })
            .collect();
        let mine: Vec<_> = held
            .iter()
            .copied()
            .filter(|e| e.class_id == Some(c))
            .collect();
        let zero_shot = tally(&matcher, &mine, c);
        let mut trained = Tally::default();
        for other in left_out.iter().filter(|&&o| o != c) {
            let theirs: Vec<_> = held
                .iter()
                .copied()
                .filter(|e| e.class_id == Some(*other))
                .collect();
            trained.add(&tally(&matcher, &theirs, *other));
        }
        Ok(LeftOut { zero_shot, trained })
    };
    std::thread::scope(|s| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..opts.threads.clamp(1, 2))
            .map(|_| {
                s.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let j = {
                            let mut n = next.lock().unwrap();
                            let j = *n;
                            *n += 1;
                            j
                        };
                        let Some(&(f, c)) = jobs.get(j) else {
                            return Ok(());
                        };
                        let r = one(f, c)?;
                        results.lock().unwrap().insert((f, c), r);
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
    let results = results.into_inner().unwrap();
    let header: Vec<String> = EXPONENTS.iter().map(|e| format!("p^{e}")).collect();
    println!(
        "\nleft-out class answered as zero-shot: top-1 by exponent [{}], top-3 and verdicts (p^{SHIPPED_EXPONENT})",
        header.join(" ")
    );
    let (mut zs_all, mut tr_all) = (Tally::default(), Tally::default());
    for &c in &left_out {
        let mut zs = Tally::default();
        for r in results
            .iter()
            .filter(|((_, rc), _)| *rc == c)
            .map(|(_, r)| r)
        {
            zs.add(&r.zero_shot);
            tr_all.add(&r.trained);
        }
        zs_all.add(&zs);
        let mut v: Vec<_> = zs.verdicts.iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.1));
        let v: Vec<String> = v.iter().take(4).map(|(k, n)| format!("{k} {n}")).collect();
        println!(
            "  {:<16} {:3} clips  top-1 [{}]  top-3 {:5.1}  right {:5.1}  unknown {:5.1}  ({})",
            slug(c),
            zs.clips,
            percents(&zs.top1, zs.clips),
            pct(zs.top3[SHIPPED], zs.clips),
            pct(zs.right, zs.clips),
            pct(zs.unknown, zs.clips),
            v.join(", ")
        );
    }
    let line = |name: &str, t: &Tally| {
        println!(
            "{name:<34} {:5} clips  top-1 [{}]  top-3 [{}]  right {:5.1}  unknown {:5.1}",
            t.clips,
            percents(&t.top1, t.clips),
            percents(&t.top3, t.clips),
            pct(t.right, t.clips),
            pct(t.unknown, t.clips)
        );
    };
    println!("\npooled (exponents {})", header.join(" "));
    line("left-out classes, as zero-shot", &zs_all);
    line("other left-out classes, trained", &tr_all);
    println!("total {:.0} s", t0.elapsed().as_secs_f32());
    Ok(())
}
