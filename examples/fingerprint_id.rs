//! Exact-fingerprint identification benchmark: corpus clips -> reference table, seeded query
//! cuts under noise / phone conditions -> identification and false-positive rates (markdown).
//!
//! `cargo run --release --example fingerprint_id -- ../shared/corpus [--per-cell N] [--seed S]
//! [--roles class|all] [--wav-dir DIR]`
//!
//! - **Index**: the clean clips of the train side of `sori build`'s split (holdout 0.2, seed 7),
//!   role `class` only (as `src/build/pipeline.rs` builds the FPRT section) or every role with
//!   `--roles all`; reference landmarks from [`extract_landmarks`].
//! - **Positive queries**: per query length (2, 5, 10 s), up to `--per-cell` indexed clips at
//!   least that long (seeded shuffle), one cut each at a seeded random offset. The same cuts are
//!   degraded by every condition: clean, pink noise at 10 and 5 dB SNR (against the cut's RMS),
//!   phone band-pass + room reverb + soft clipping ([`sori::augment::phone_and_room`]). Query
//!   landmarks from [`extract_query_landmarks`].
//! - **Identified**: the hit names the clip the query was cut from and its offset is within
//!   ±[`OFFSET_TOLERANCE_S`] of the true cut position. A hit naming another clip or a wrong
//!   offset counts as "wrong"; no hit as "missed".
//! - **Negative queries**: cuts of clips of held-out recordings (test side of the split, any
//!   role; never indexed). Any hit is a false positive, logged to stderr with what it matched.
//!
//! Defaults: `--per-cell 100`, `--seed 6`, `--roles class`. The markdown table goes to stdout.
//!
//! With `--wav-dir DIR` it also writes every reference (`DIR/refs/`) and query (`DIR/queries/`)
//! as 16 kHz 16-bit WAV with `refs.tsv` and `queries.tsv`, for `tools/bench/fpcalc_id.py`,
//! plus calibration cuts (`kind = cal`: train-side clips that are not indexed) from which that
//! script picks its threshold. The WAVs are cut from corpus audio: keep `DIR` outside the
//! repository.

use anyhow::{bail, Context, Result};
use sori::augment::{add_pink_noise, phone_and_room};
use sori::build::dataset::{self, Role, SoundItem};
use sori::fingerprint::{
    extract_landmarks, extract_query_landmarks, FingerprintConfig, FingerprintTable,
};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Sample rate of everything here (the fingerprinter's rate).
const RATE: u32 = sori::fingerprint::SAMPLE_RATE;
/// Query lengths in seconds.
const LENGTHS: [u32; 3] = [2, 5, 10];
/// Conditions applied to the query cuts.
const CONDITIONS: [&str; 4] = ["clean", "pink10", "pink5", "phone"];
/// A hit counts as identified when its offset is within this many seconds of the truth.
const OFFSET_TOLERANCE_S: f32 = 0.5;

/// Command-line options.
struct Options {
    corpus: PathBuf,
    per_cell: usize,
    seed: u64,
    all_roles: bool,
    wav_dir: Option<PathBuf>,
}

fn parse_args() -> Result<Options> {
    let mut args = std::env::args().skip(1);
    let mut opts = Options {
        corpus: PathBuf::new(),
        per_cell: 100,
        seed: 6,
        all_roles: false,
        wav_dir: None,
    };
    let mut corpus = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--per-cell" => opts.per_cell = value()?.parse()?,
            "--seed" => opts.seed = value()?.parse()?,
            "--roles" => {
                opts.all_roles = match value()?.as_str() {
                    "class" => false,
                    "all" => true,
                    other => bail!("--roles must be class or all, not {other:?}"),
                }
            }
            "--wav-dir" => opts.wav_dir = Some(PathBuf::from(value()?)),
            _ if corpus.is_none() && !a.starts_with("--") => corpus = Some(PathBuf::from(&a)),
            _ => bail!("usage: fingerprint_id CORPUS_DIR [--per-cell N] [--seed S] [--roles class|all] [--wav-dir DIR]"),
        }
    }
    opts.corpus = corpus.unwrap_or_else(|| PathBuf::from("../shared/corpus"));
    Ok(opts)
}

/// A decoded clip at 16 kHz.
struct Clip {
    name: String,
    samples: Vec<f32>,
}

fn load(item: &SoundItem) -> Result<Clip> {
    let decoded = sori::audio::decode::decode_file(&item.path)
        .with_context(|| format!("decoding {}", item.path.display()))?;
    let samples = sori::audio::prepare(&decoded.samples, decoded.sample_rate)
        .with_context(|| format!("preparing {}", item.path.display()))?;
    let name = item
        .path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    Ok(Clip { name, samples })
}

/// FNV-1a of a few numbers: stable seeds for offsets and noise.
fn seed_of(parts: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn apply(condition: &str, x: &[f32], seed: u64) -> Vec<f32> {
    match condition {
        "pink10" => add_pink_noise(x, 10.0, seed),
        "pink5" => add_pink_noise(x, 5.0, seed),
        "phone" => phone_and_room(x, RATE, seed),
        _ => x.to_vec(),
    }
}

/// A query cut: which clip, where, how long.
struct Cut {
    clip: usize,
    start: usize,
    len: usize,
}

/// Up to `n` cuts of `len_s` seconds from clips at least that long (seeded choice and offsets).
fn cuts(clips: &[Clip], len_s: u32, n: usize, seed: u64) -> Vec<Cut> {
    let len = (len_s * RATE) as usize;
    let mut eligible: Vec<usize> = (0..clips.len())
        .filter(|&i| clips[i].samples.len() >= len)
        .collect();
    let mut rng = fastrand::Rng::with_seed(seed_of(&[seed, u64::from(len_s)]));
    rng.shuffle(&mut eligible);
    eligible.truncate(n);
    eligible.sort_unstable();
    eligible
        .into_iter()
        .map(|clip| Cut {
            clip,
            start: rng.usize(0..=clips[clip].samples.len() - len),
            len,
        })
        .collect()
}

/// Writes mono 16-bit PCM WAV at [`RATE`], scaled down if the peak exceeds full scale.
fn write_wav(path: &Path, x: &[f32]) -> Result<()> {
    let peak = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let k = if peak > 1.0 { 1.0 / peak } else { 1.0 };
    let data_len = u32::try_from(x.len() * 2).context("clip too long for WAV")?;
    let mut b = Vec::with_capacity(44 + x.len() * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&RATE.to_le_bytes());
    b.extend_from_slice(&(RATE * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for &v in x {
        b.extend_from_slice(&(((v * k).clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes());
    }
    std::fs::write(path, b).with_context(|| format!("writing {}", path.display()))
}

/// What a query is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Cut from an indexed clip: should be identified.
    Pos,
    /// Cut from a held-out clip: any hit is a false positive.
    Neg,
    /// Cut from a train-side clip that is not indexed: written for fpcalc calibration only.
    Cal,
}

/// Counts of one (length, condition) cell.
#[derive(Default)]
struct Cell {
    pos: usize,
    identified: usize,
    wrong: usize,
    neg: usize,
    false_pos: usize,
    seconds: f64,
    queries: usize,
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "—".to_string()
    } else {
        format!("{:.1}% ({a}/{b})", 100.0 * a as f64 / b as f64)
    }
}

fn main() -> Result<()> {
    let opts = parse_args()?;
    let data = dataset::discover(&opts.corpus)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("reading {}", opts.corpus.display()))?;
    let defaults = sori::build::BuildOptions::new(opts.corpus.clone());
    let (train, test) = sori::build::split(&data, defaults.holdout, defaults.seed);
    let cfg = FingerprintConfig::default();

    // Index: clean train clips (role class, as the shipped index, or all roles).
    let ref_items: Vec<&SoundItem> = train
        .iter()
        .filter(|s| opts.all_roles || s.role == Role::Class)
        .collect();
    let mut refs = Vec::new();
    let mut table = FingerprintTable::new();
    for (i, item) in ref_items.iter().enumerate() {
        if (i + 1) % 100 == 0 || i + 1 == ref_items.len() {
            eprintln!("indexing {}/{}", i + 1, ref_items.len());
        }
        let clip = match load(item) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("\nskipped: {e:#}");
                continue;
            }
        };
        table.add_recording(
            &clip.name,
            item.class_id.unwrap_or(0),
            &extract_landmarks(&clip.samples, &cfg),
        );
        refs.push(clip);
    }
    table.finish();
    let indexed_recs: HashSet<&str> = ref_items.iter().map(|s| s.recording.as_str()).collect();
    let not_indexed = |items: &[SoundItem]| -> Vec<Clip> {
        items
            .iter()
            .filter(|s| !indexed_recs.contains(s.recording.as_str()))
            .filter_map(|s| load(s).map_err(|e| eprintln!("skipped: {e:#}")).ok())
            .collect()
    };
    let negatives = not_indexed(&test);
    // Train-side clips that are not indexed (other/near roles): only written for the fpcalc
    // threshold calibration, never scored here.
    let calibration = if opts.wav_dir.is_some() {
        not_indexed(&train)
    } else {
        Vec::new()
    };

    if let Some(dir) = &opts.wav_dir {
        std::fs::create_dir_all(dir.join("refs"))?;
        std::fs::create_dir_all(dir.join("queries"))?;
        let mut tsv = std::fs::File::create(dir.join("refs.tsv"))?;
        writeln!(tsv, "name\tpath")?;
        for (i, c) in refs.iter().enumerate() {
            let p = dir.join("refs").join(format!("r{i:05}.wav"));
            write_wav(&p, &c.samples)?;
            writeln!(tsv, "{}\t{}", c.name, p.display())?;
        }
    }
    let mut qtsv = match &opts.wav_dir {
        Some(dir) => {
            let mut f = std::fs::File::create(dir.join("queries.tsv"))?;
            writeln!(
                f,
                "id\tkind\tlength_s\tcondition\ttruth\ttruth_offset_s\tpath"
            )?;
            Some(f)
        }
        None => None,
    };

    let mut cells: Vec<(u32, &str, Cell)> = Vec::new();
    let mut eligible = Vec::new();
    let mut qid = 0usize;
    for &len_s in &LENGTHS {
        let sets = [
            (
                Kind::Pos,
                cuts(&refs, len_s, opts.per_cell, opts.seed),
                &refs,
            ),
            (
                Kind::Neg,
                cuts(&negatives, len_s, opts.per_cell, opts.seed ^ 0x9e37),
                &negatives,
            ),
            (
                Kind::Cal,
                cuts(&calibration, len_s, opts.per_cell, opts.seed ^ 0x7f4a),
                &calibration,
            ),
        ];
        eligible.push((len_s, sets[0].1.len(), sets[1].1.len()));
        for (ci, &cond) in CONDITIONS.iter().enumerate() {
            let mut cell = Cell::default();
            for (kind, set, pool) in &sets {
                for cut in set.iter() {
                    let clip = &pool[cut.clip];
                    let x = &clip.samples[cut.start..cut.start + cut.len];
                    let noise_seed = seed_of(&[
                        opts.seed,
                        cut.clip as u64,
                        u64::from(len_s),
                        ci as u64,
                        *kind as u64,
                    ]);
                    let q = apply(cond, x, noise_seed);
                    let truth_offset = cut.start as f32 / RATE as f32;
                    if let (Some(f), Some(dir)) = (qtsv.as_mut(), &opts.wav_dir) {
                        let p = dir.join("queries").join(format!("q{qid:06}.wav"));
                        write_wav(&p, &q)?;
                        let (label, truth) = match kind {
                            Kind::Pos => ("pos", clip.name.as_str()),
                            Kind::Neg => ("neg", "-"),
                            Kind::Cal => ("cal", "-"),
                        };
                        writeln!(
                            f,
                            "{qid}\t{label}\t{len_s}\t{cond}\t{truth}\t{truth_offset:.4}\t{}",
                            p.display()
                        )?;
                    }
                    qid += 1;
                    if *kind == Kind::Cal {
                        continue;
                    }
                    let t0 = Instant::now();
                    let hit = table.query(&extract_query_landmarks(&q, &cfg), &cfg);
                    cell.seconds += t0.elapsed().as_secs_f64();
                    cell.queries += 1;
                    if *kind == Kind::Pos {
                        cell.pos += 1;
                        match hit {
                            Some(h)
                                if h.name == clip.name
                                    && (h.offset_seconds - truth_offset).abs()
                                        <= OFFSET_TOLERANCE_S =>
                            {
                                cell.identified += 1
                            }
                            Some(_) => cell.wrong += 1,
                            None => {}
                        }
                    } else {
                        cell.neg += 1;
                        if let Some(h) = hit {
                            cell.false_pos += 1;
                            eprintln!(
                                "false positive ({len_s} s {cond}): {} at {truth_offset:.2} s -> {} \
                                 (class {}) at {:.2} s, {} aligned, confidence {:.2}",
                                clip.name, h.name, h.class_id, h.offset_seconds, h.aligned, h.confidence
                            );
                        }
                    }
                }
            }
            eprintln!(
                "{len_s} s {cond}: {} identified of {}, {} false positives of {}",
                cell.identified, cell.pos, cell.false_pos, cell.neg
            );
            cells.push((len_s, cond, cell));
        }
    }

    println!(
        "Sori fingerprints: {} indexed clips ({}; train side of the build split), {} held-out clips for negatives; \
         seed {}, up to {} queries per cell; identified = right clip and offset within ±{} s.\n",
        refs.len(),
        if opts.all_roles { "all roles" } else { "role class" },
        negatives.len(),
        opts.seed,
        opts.per_cell,
        OFFSET_TOLERANCE_S
    );
    for (len_s, pos, neg) in &eligible {
        if *pos == 0 {
            println!(
                "{len_s} s queries: no indexed clip is at least {len_s} s long (cells left empty)."
            );
        } else {
            println!("{len_s} s queries: {pos} positive and {neg} negative cuts per condition.");
        }
    }
    println!();
    println!("| query | condition | identified | wrong answer | false positives (held out) | ms per query |");
    println!("|---|---|---:|---:|---:|---:|");
    for (len_s, cond, c) in &cells {
        let ms = if c.queries == 0 {
            "—".to_string()
        } else {
            format!("{:.2}", 1000.0 * c.seconds / c.queries as f64)
        };
        println!(
            "| {len_s} s | {cond} | {} | {} | {} | {ms} |",
            pct(c.identified, c.pos),
            pct(c.wrong, c.pos),
            pct(c.false_pos, c.neg)
        );
    }
    Ok(())
}
