//! The `sori` command-line tool: build an index, match audio files, evaluate, inspect.
//!
//! The committed model (EfficientAT mn04) and default index are compiled in, so `sori match clip.wav`
//! works from anywhere; `--model` and `--index` override them.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use anyhow::{bail, Context, Result};
    use clap::{Parser, Subcommand};
    use indicatif::{ProgressBar, ProgressStyle};
    use sori::build::{self, dataset, eval, evidence};
    use sori::embed::efficientat::Mn04;
    use sori::index::Index;
    use sori::matcher::{Analyzer, Matcher, MatcherOptions};
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::sync::{Arc, Mutex};

    const DEFAULT_MODEL: &[u8] = include_bytes!("../../assets/model/mn04.sorim");
    /// The committed default index, read at run time so that `sori build` can create it.
    const DEFAULT_INDEX_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/default.idx");

    /// Sori (소리): what sound is this?
    #[derive(Parser)]
    #[command(version, about, long_about = None)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Build an index from a corpus (folder with manifest.tsv), the hackathon dataset as distributed
        /// (label JSONs, folders or zip archives), or one folder per class. Writes the index, its photos
        /// (<out>.photos) when the dataset has photos, and <out>.problems.tsv listing skipped files.
        Build {
            /// Corpus or dataset folder (or its manifest.tsv).
            input: PathBuf,
            /// Class icons for the index: a folder of <slug>.svg with SOURCES.tsv, or an index file whose
            /// images are taken (e.g. assets/default.idx). Dataset photos go to <out>.photos.
            #[arg(long)]
            images: Option<PathBuf>,
            /// Where to write the index.
            #[arg(long, short, default_value = "assets/default.idx")]
            out: PathBuf,
            /// Analysis model weights, EfficientAT mn04 (default: the compiled-in model).
            #[arg(long)]
            model: Option<PathBuf>,
            /// Share of recordings held out of training, for honest evaluation.
            #[arg(long, default_value_t = 0.2)]
            holdout: f32,
            /// Seed of the split by recording.
            #[arg(long, default_value_t = 7)]
            seed: u64,
            /// Augmented copies of each class clip used in training.
            #[arg(long, default_value_t = 4)]
            augmentations: usize,
            /// Worker threads (default: all cores).
            #[arg(long)]
            threads: Option<usize>,
            /// Credit shown with the dataset's photos (default: the dataset folder's name).
            #[arg(long)]
            photo_credit: Option<String>,
            /// Also make reference sounds (<out>.sounds) from sounds under the hackathon dataset's own
            /// terms, not only from licences that allow redistribution: only for a deployment those
            /// terms allow.
            #[arg(long)]
            dataset_sounds: bool,
        },
        /// Match audio files: one line per file (JSON with --json).
        Match {
            /// Audio files (wav, ogg, flac, mp3).
            #[arg(required = true)]
            audio: Vec<PathBuf>,
            /// Index file (default: the project's assets/default.idx).
            #[arg(long)]
            index: Option<PathBuf>,
            /// Analysis model weights, EfficientAT mn04 (default: the compiled-in model).
            #[arg(long)]
            model: Option<PathBuf>,
            /// Print one JSON object per file per line.
            #[arg(long)]
            json: bool,
            /// Candidates listed per file.
            #[arg(long, default_value_t = 5)]
            top_k: usize,
            /// A pack of taught sounds (from `sori teach` or the page) answered besides the index's classes.
            #[arg(long)]
            pack: Option<PathBuf>,
        },
        /// Teach a sound from example audio files: writes a pack of taught sounds (extended when it
        /// exists) that `sori match --pack` and `sori merge` read. Each file is an example
        /// (files longer than 5 s are cut into 5 s examples); each is checked (too short, silent,
        /// clipped, already confidently another class) and skipped with the reason.
        Teach(TeachArgs),
        /// Merge a pack of taught sounds into an index: the result answers them without the pack
        /// (their rows are re-learned first when the pack was made for another index).
        Merge {
            /// The pack of taught sounds.
            pack: PathBuf,
            /// Index file (default: the project's assets/default.idx).
            #[arg(long)]
            index: Option<PathBuf>,
            /// Where to write the merged index.
            #[arg(long, short)]
            out: PathBuf,
        },
        /// Evaluate an index on the held-out split of a corpus, by group of classes: top-1/top-3, right verdicts, unknown, false accepts.
        Eval {
            /// The corpus manifest.tsv (or its folder).
            #[arg(long)]
            manifest: PathBuf,
            /// Index file (default: the project's assets/default.idx).
            #[arg(long)]
            index: Option<PathBuf>,
            /// Analysis model weights, EfficientAT mn04 (default: the compiled-in model).
            #[arg(long)]
            model: Option<PathBuf>,
            /// Which clips: `test` (held out by `sori build`'s split) or `all`.
            #[arg(long, default_value = "test")]
            split: String,
            /// Held-out share used by the build (must match it).
            #[arg(long, default_value_t = 0.2)]
            holdout: f32,
            /// Seed used by the build (must match it).
            #[arg(long, default_value_t = 7)]
            seed: u64,
            /// Conditions, comma-separated: clean, pinkN, whiteN, phone, gainN (e.g. clean,pink10,phone,gain-20,gain+6).
            #[arg(long, default_value = "clean")]
            conditions: String,
            /// Print JSON instead of text.
            #[arg(long)]
            json: bool,
            /// Worker threads (default: all cores).
            #[arg(long)]
            threads: Option<usize>,
        },
        /// Show what an index (or a <index>.photos or <index>.sounds file) holds: classes, coverage, sizes per section.
        Inspect {
            /// Index file or photo file.
            index: PathBuf,
        },
    }

    pub fn main() -> ExitCode {
        match run(Cli::parse()) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("sori: {e:#}");
                ExitCode::FAILURE
            }
        }
    }

    fn load_model(path: &Option<PathBuf>) -> Result<Arc<Mn04>> {
        match path {
            Some(p) => build::load_model(p),
            None => Ok(Arc::new(
                Mn04::from_bytes(DEFAULT_MODEL).context("loading the compiled-in model")?,
            )),
        }
    }

    fn load_index(path: &Option<PathBuf>) -> Result<Index> {
        let (bytes, what) = match path {
            Some(p) => (std::fs::read(p).with_context(|| format!("reading {}", p.display()))?, p.display().to_string()),
            None => (
                std::fs::read(DEFAULT_INDEX_PATH).with_context(|| format!("reading the default index {DEFAULT_INDEX_PATH} (build it with `sori build`)"))?,
                DEFAULT_INDEX_PATH.to_string(),
            ),
        };
        let index = Index::from_bytes(&bytes).with_context(|| format!("loading {what}"))?;
        index
            .check_features(sori::matcher::analysis_hash())
            .with_context(|| format!("loading {what}"))?;
        Ok(index)
    }

    /// A progress callback drawing one bar per pass (a new bar when the stage changes); each
    /// finished pass stays on screen with its elapsed time.
    fn bar() -> impl Fn(&str, u64, u64) + Sync {
        let pb: Mutex<Option<(String, ProgressBar)>> = Mutex::new(None);
        move |stage: &str, done: u64, total: u64| {
            let mut guard = pb.lock().expect("progress lock");
            if guard.as_ref().is_none_or(|(s, _)| s != stage) {
                let b = ProgressBar::new(total);
                b.set_style(
                    ProgressStyle::with_template(
                        "{msg:<16} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                b.set_message(stage.to_string());
                if let Some((_, old)) = guard.replace((stage.to_string(), b)) {
                    old.abandon();
                }
            }
            let (_, pb) = guard.as_ref().expect("just set");
            pb.set_position(done);
            if done >= total {
                pb.abandon();
            }
        }
    }

    fn corpus_dir(p: &Path) -> PathBuf {
        if p.is_file() {
            p.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        } else {
            p.to_path_buf()
        }
    }

    fn run(cli: Cli) -> Result<ExitCode> {
        match cli.command {
            Command::Build {
                input,
                images,
                out,
                model,
                holdout,
                seed,
                augmentations,
                threads,
                photo_credit,
                dataset_sounds,
            } => {
                let mut opts = build::BuildOptions::new(corpus_dir(&input));
                opts.images = images;
                if let Some(m) = model {
                    opts.model = m;
                } else {
                    opts.model = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                        .join(sori::embed::DEFAULT_MODEL_PATH);
                }
                opts.holdout = holdout;
                opts.seed = seed;
                opts.augmentations = augmentations;
                if let Some(t) = threads {
                    opts.threads = t.max(1);
                }
                opts.photos.credit = photo_credit.unwrap_or_else(|| {
                    let name = opts
                        .input
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    format!("Photo: {name}")
                });
                opts.sounds.dataset_terms = dataset_sounds;
                let progress = bar();
                let built = build::build(&opts, &progress)?;
                let bytes = built.index.to_bytes();
                std::fs::write(&out, &bytes)
                    .with_context(|| format!("writing {}", out.display()))?;
                eprintln!("{}", built.summary);
                eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
                let side_file = |ext: &str| {
                    let mut name = out.as_os_str().to_owned();
                    name.push(ext);
                    PathBuf::from(name)
                };
                write_side_file(
                    &side_file(".photos"),
                    built.photos.map(|p| (p.to_bytes(), p.describe())),
                    "this dataset has no photos",
                )?;
                write_side_file(
                    &side_file(".sounds"),
                    built.sounds.map(|s| (s.to_bytes(), s.describe())),
                    "no recording may be shipped",
                )?;
                if built.problems_tsv.lines().count() > 1 {
                    let problems_path = side_file(".problems.tsv");
                    std::fs::write(&problems_path, &built.problems_tsv)
                        .with_context(|| format!("writing {}", problems_path.display()))?;
                    eprintln!(
                        "wrote {} (every skipped or noticed file with its reason)",
                        problems_path.display()
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Match {
                audio,
                index,
                model,
                json,
                top_k,
                pack,
            } => {
                let model = load_model(&model)?;
                let mut matcher =
                    Matcher::new(load_index(&index)?, MatcherOptions::default().top_k(top_k))?;
                if let Some(p) = &pack {
                    let pack = load_pack(p)?;
                    let teacher = sori::teach::Teacher::new(matcher.index());
                    let pack = match teacher {
                        Ok(t) if !t.fits(&pack) => t.relearn(&pack).with_context(|| {
                            format!("re-learning {} for this index", p.display())
                        })?,
                        _ => pack,
                    };
                    matcher = matcher
                        .with_pack(&pack)
                        .with_context(|| format!("using {}", p.display()))?;
                }
                let mut analyzer = Analyzer::new(Arc::clone(&model));
                let mut failed = false;
                for path in audio {
                    let outcome = evidence::load_16k(&path).map(|samples| {
                        let analysis = analyzer.analyse(&samples);
                        matcher.match_analysis(&analysis, &samples)
                    });
                    let file = path.display().to_string();
                    match outcome {
                        Ok(r) if json => {
                            let mut v = serde_json::to_value(&r)?;
                            v.as_object_mut()
                                .expect("result is an object")
                                .insert("file".into(), file.into());
                            println!("{}", order_keys(v));
                        }
                        Ok(r) => {
                            let cands: Vec<String> = r
                                .matches
                                .iter()
                                .map(|m| format!("{} {:.2}", m.class, m.score))
                                .collect();
                            let fp = r
                                .fingerprint
                                .as_ref()
                                .map(|f| {
                                    format!(
                                        "  [exact: {} at {:.1} s]",
                                        f.recording, f.offset_seconds
                                    )
                                })
                                .unwrap_or_default();
                            let maybe = r
                                .maybe
                                .as_ref()
                                .map(|m| format!(" (not sure: maybe {} {:.2})", m.class, m.score))
                                .unwrap_or_default();
                            println!(
                                "{file}: {} ({:.2}){maybe}  {}{fp}",
                                r.verdict,
                                r.score,
                                cands.join(", ")
                            );
                        }
                        Err(e) => {
                            failed = true;
                            if json {
                                println!(
                                    "{}",
                                    serde_json::json!({"file": file, "error": e.to_string()})
                                );
                            } else {
                                eprintln!("{file}: error: {e}");
                            }
                        }
                    }
                }
                Ok(if failed {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                })
            }
            Command::Eval {
                manifest,
                index,
                model,
                split,
                holdout,
                seed,
                conditions,
                json,
                threads,
            } => {
                let model = load_model(&model)?;
                let matcher = Matcher::new(
                    load_index(&index)?,
                    MatcherOptions::default().fingerprints(false),
                )?;
                let data = dataset::discover(&corpus_dir(&manifest)).map_err(anyhow::Error::msg)?;
                let items = match split.as_str() {
                    "test" => build::split(&data, holdout, seed).1,
                    "all" => data.sounds.clone(),
                    other => bail!("--split must be `test` or `all`, not {other:?}"),
                };
                let threads = threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
                let groups = eval::ClassGroups::from_sounds(&data.sounds);
                for name in conditions
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    let condition = eval::Condition::parse(name)
                        .with_context(|| format!("unknown condition {name:?}"))?;
                    let progress = bar();
                    let ev = condition.analyse(&model, &items, threads, &progress)?;
                    let report = eval::evaluate(&matcher, &ev, name, &groups);
                    if json {
                        println!("{}", serde_json::to_string(&report)?);
                    } else {
                        println!("{}", report.to_text());
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Teach(args) => teach(args),
            Command::Merge { pack, index, out } => {
                let mut idx = load_index(&index)?;
                let mut pack = load_pack(&pack)?;
                if !pack.classes.is_empty() && pack.head_hash != sori::teach::head_hash(&idx.head) {
                    let teacher = sori::teach::Teacher::new(&idx)?;
                    pack = teacher.relearn(&pack)?;
                    eprintln!(
                        "re-learned {} taught classes for this index",
                        pack.classes.len()
                    );
                }
                // The pack's classes take the place of classes of the same id merged before.
                let mut merged = idx.taught.take().unwrap_or_else(|| sori::teach::Pack {
                    head_hash: pack.head_hash,
                    model_id: idx.model_id.clone(),
                    classes: Vec::new(),
                });
                for c in pack.classes {
                    merged
                        .classes
                        .retain(|o| o.class_id != c.class_id && o.slug != c.slug);
                    merged.classes.push(c);
                }
                merged.head_hash = sori::teach::head_hash(&idx.head);
                let names: Vec<String> = merged.classes.iter().map(|c| c.slug.clone()).collect();
                idx.taught = Some(merged);
                idx.validate().context("the merged index")?;
                let bytes = idx.to_bytes();
                std::fs::write(&out, &bytes)
                    .with_context(|| format!("writing {}", out.display()))?;
                eprintln!(
                    "wrote {} ({} bytes) with {} taught classes: {}",
                    out.display(),
                    bytes.len(),
                    names.len(),
                    names.join(", ")
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Inspect { index } => {
                let raw = std::fs::read(&index)
                    .with_context(|| format!("reading {}", index.display()))?;
                if raw.starts_with(&sori::index::photos::PHOTOS_MAGIC) {
                    let set = sori::index::photos::PhotoSet::from_bytes(&raw)
                        .with_context(|| format!("loading {}", index.display()))?;
                    println!("Sori photo file: {} bytes, {}", raw.len(), set.describe());
                    for p in &set.photos {
                        println!(
                            "  {:<22} {:<10} {:>6} B  {}",
                            p.slug,
                            p.mime.trim_start_matches("image/"),
                            p.bytes.len(),
                            p.caption
                        );
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                if raw.starts_with(&sori::index::sounds::SOUNDS_MAGIC) {
                    let set = sori::index::sounds::SoundSet::from_bytes(&raw)
                        .with_context(|| format!("loading {}", index.display()))?;
                    println!("Sori sounds file: {} bytes, {}", raw.len(), set.describe());
                    for s in &set.sounds {
                        println!(
                            "  {:<22} {:>6} B  {:>5.2} s from {:>5.2} s of {}  {}  {}",
                            s.slug,
                            s.bytes.len(),
                            s.duration_ms as f32 / 1000.0,
                            s.start_ms as f32 / 1000.0,
                            s.source,
                            s.licence,
                            s.credit
                        );
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                if raw.starts_with(&sori::teach::PACK_MAGIC) {
                    let pack = load_pack(&index)?;
                    println!(
                        "Sori pack of taught sounds: {} bytes, {} classes",
                        raw.len(),
                        pack.classes.len()
                    );
                    for c in &pack.classes {
                        println!(
                            "  {:<22} {:>5} {:<10} {} examples, threshold {:.3}  {} / {}",
                            c.slug,
                            c.class_id,
                            c.mode.as_str(),
                            c.examples.len(),
                            c.threshold,
                            c.name_ko,
                            c.name_en
                        );
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                let parsed = Index::from_bytes(&raw)
                    .with_context(|| format!("loading {}", index.display()))?;
                println!("{}", sori::index::inspect_report(&parsed, &raw));
                Ok(ExitCode::SUCCESS)
            }
        }
    }

    /// Writes a companion file beside the index (its bytes and a one-line description), or removes
    /// a stale one when this build made none (`why_none` says why).
    fn write_side_file(path: &Path, file: Option<(Vec<u8>, String)>, why_none: &str) -> Result<()> {
        match file {
            Some((bytes, description)) => {
                std::fs::write(path, &bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!(
                    "wrote {} ({} bytes: {description})",
                    path.display(),
                    bytes.len()
                );
            }
            None if path.exists() => {
                std::fs::remove_file(path)
                    .with_context(|| format!("removing the stale {}", path.display()))?;
                eprintln!("removed the stale {} ({why_none})", path.display());
            }
            None => {}
        }
        Ok(())
    }

    fn load_pack(path: &Path) -> Result<sori::teach::Pack> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        sori::teach::Pack::from_bytes(&bytes).with_context(|| format!("loading {}", path.display()))
    }

    /// `sori teach`'s arguments (the subcommand's help text is on [`Command::Teach`]).
    #[derive(clap::Args)]
    struct TeachArgs {
        /// Example audio files (wav, ogg, flac, mp3).
        #[arg(required = true)]
        audio: Vec<PathBuf>,
        /// The class: a slug of the index (strengthened, or replaced with --replace), or a new sound's name.
        #[arg(long)]
        class: String,
        /// A new sound's Korean name.
        #[arg(long)]
        name_ko: Option<String>,
        /// A new sound's English name.
        #[arg(long)]
        name_en: Option<String>,
        /// Replace the index's class instead of strengthening it.
        #[arg(long)]
        replace: bool,
        /// Recordings of the room without the sound (learned as "not this sound").
        #[arg(long)]
        background: Vec<PathBuf>,
        /// Keep the examples' audio in the pack (16 kHz, 16-bit).
        #[arg(long)]
        keep_audio: bool,
        /// The pack to write (extended when it exists).
        #[arg(long, short)]
        out: PathBuf,
        /// Index file (default: the project's assets/default.idx).
        #[arg(long)]
        index: Option<PathBuf>,
        /// Analysis model weights, EfficientAT mn04 (default: the compiled-in model).
        #[arg(long)]
        model: Option<PathBuf>,
    }

    /// `sori teach`: examples -> checks -> the class learned into the pack at `out`.
    fn teach(a: TeachArgs) -> Result<ExitCode> {
        use sori::teach::{self, Target, TaughtExample, Teacher};
        let model = load_model(&a.model)?;
        let index = load_index(&a.index)?;
        let teacher = Teacher::new(&index)?;
        let mut pack = if a.out.exists() {
            let p = load_pack(&a.out)?;
            if teacher.fits(&p) {
                p
            } else {
                teacher.relearn(&p)?
            }
        } else {
            teacher.empty_pack()
        };
        let target = if index.class_by_slug(&a.class).is_some() {
            Target::Shipped {
                slug: a.class.clone(),
                replace: a.replace,
            }
        } else {
            Target::New {
                slug: a.class.clone(),
                name_ko: a.name_ko.clone().unwrap_or_default(),
                name_en: a.name_en.clone().unwrap_or_default(),
            }
        };
        let matcher = Matcher::new(index, MatcherOptions::default())?.with_pack(&pack)?;
        let mut analyzer = Analyzer::new(Arc::clone(&model));
        let mut examples = Vec::new();
        for path in &a.audio {
            let samples =
                evidence::load_16k(path).with_context(|| format!("reading {}", path.display()))?;
            let pieces = teach::cut_examples(&samples);
            for (i, piece) in pieces.iter().enumerate() {
                let name = if pieces.len() > 1 {
                    format!("{} (part {})", path.display(), i + 1)
                } else {
                    path.display().to_string()
                };
                let checked = teach::check_audio(piece).and_then(|()| {
                    let analysis = analyzer.analyse(piece);
                    teach::check_example(&matcher, &analysis, &a.class).map(|()| analysis)
                });
                match checked {
                    Ok(analysis) => {
                        examples.push(TaughtExample::from_analysis(
                            &analysis,
                            a.keep_audio.then_some(&piece[..]),
                        ));
                        eprintln!("{name}: kept");
                    }
                    Err(problem) => eprintln!("{name}: skipped: {problem}"),
                }
            }
        }
        let mut background = Vec::new();
        for path in &a.background {
            let samples =
                evidence::load_16k(path).with_context(|| format!("reading {}", path.display()))?;
            for piece in teach::cut_examples(&samples) {
                let analysis = analyzer.analyse(piece);
                background.push(TaughtExample::from_analysis(&analysis, None));
            }
        }
        let kept = examples.len();
        let started = std::time::Instant::now();
        let (next, report) = teacher.teach(&pack, &target, examples, &background)?;
        let took = started.elapsed();
        pack = next;
        let bytes = pack.to_bytes();
        std::fs::write(&a.out, &bytes).with_context(|| format!("writing {}", a.out.display()))?;
        let class = pack
            .classes
            .iter()
            .find(|c| c.slug == a.class || teach::slug_from(&a.class, "") == c.slug)
            .or(pack.classes.last())
            .expect("the class was just taught");
        eprintln!(
            "taught {} ({}, {} examples, {kept} new; learned in {} ms from {} positive and {} negative samples; threshold {:.3}); wrote {} ({} bytes, {} classes)",
            class.slug,
            class.mode.as_str(),
            class.examples.len(),
            took.as_millis(),
            report.positives,
            report.negatives,
            report.threshold,
            a.out.display(),
            bytes.len(),
            pack.classes.len()
        );
        Ok(ExitCode::SUCCESS)
    }

    /// `{"file", "verdict", "score", "taught", "maybe", "matches", "fingerprint"}` in that order.
    fn order_keys(v: serde_json::Value) -> String {
        let keys = [
            "file",
            "verdict",
            "score",
            "taught",
            "maybe",
            "matches",
            "fingerprint",
        ];
        let obj = v.as_object().cloned().unwrap_or_default();
        let parts: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                obj.get(*k)
                    .map(|val| format!("{}:{}", serde_json::Value::String(k.to_string()), val))
            })
            .collect();
        format!("{{{}}}", parts.join(","))
    }
}
