//! Dumps clip evidence of a corpus for offline experiments with the head:
//! `cargo run --release --example dump_embeddings -- ../shared/corpus OUT_DIR [all]`
//! writes `meta.tsv` (name, recording, class id, role, variant, split, windows) and `windows.f32`
//! (per window: 1024 embedding values then 521 AudioSet scores, little-endian f32).
//!
//! Default: the training split with 2 augmentations per clip and the test split clean. With `all`:
//! every sound of the corpus with exactly the variants `sori build` trains on
//! (`build::training_variants`), for cross-validation by recording; `split` still says which side
//! of `sori build`'s split a clip is on.

use sori::build::{dataset, evidence};
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (input, out, all) = match args.as_slice() {
        [_, i, o] => (
            std::path::PathBuf::from(i),
            std::path::PathBuf::from(o),
            false,
        ),
        [_, i, o, m] if m == "all" => (i.into(), o.into(), true),
        _ => anyhow::bail!("usage: dump_embeddings CORPUS_DIR OUT_DIR [all]"),
    };
    std::fs::create_dir_all(&out)?;
    let data = dataset::discover(&input).map_err(anyhow::Error::msg)?;
    let defaults = sori::build::BuildOptions::new(input.clone());
    let (train, test) = sori::build::split(&data, defaults.holdout, defaults.seed);
    let model = sori::build::load_model(std::path::Path::new(sori::embed::DEFAULT_MODEL_PATH))?;
    let mut meta = std::fs::File::create(out.join("meta.tsv"))?;
    let mut bin = std::io::BufWriter::new(std::fs::File::create(out.join("windows.f32"))?);
    writeln!(
        meta,
        "name\trecording\tclass\trole\tvariant\tsplit\twindows"
    )?;
    let test_recordings: std::collections::HashSet<&str> =
        test.iter().map(|s| s.recording.as_str()).collect();
    let passes: Vec<(&str, &[dataset::SoundItem], usize)> = if all {
        vec![("all", &data.sounds, usize::MAX)]
    } else {
        vec![("train", &train, 2), ("test", &test, 0)]
    };
    for (pass, items, aug) in passes {
        let variants = |item: &dataset::SoundItem| {
            if aug == usize::MAX {
                sori::build::training_variants(&defaults, item)
            } else {
                std::iter::once(evidence::Variant::Clean)
                    .chain((0..aug).map(evidence::Variant::Augmented))
                    .collect()
            }
        };
        let ev = evidence::collect(&model, items, &variants, 2, false, &|_, d, t| {
            eprint!("\r{pass} {d}/{t}")
        })?;
        for e in &ev {
            if let Some(err) = &e.error {
                eprintln!("\nskipped: {err}");
                continue;
            }
            let variant = match e.variant {
                evidence::Variant::Clean => "clean".to_string(),
                evidence::Variant::Augmented(n) => format!("aug{n}"),
            };
            let split = if test_recordings.contains(e.recording.as_str()) {
                "test"
            } else {
                "train"
            };
            writeln!(
                meta,
                "{}\t{}\t{}\t{:?}\t{}\t{}\t{}",
                e.name,
                e.recording,
                e.class_id.unwrap_or(0),
                e.role,
                variant,
                split,
                e.embeddings.len()
            )?;
            for (emb, sc) in e.embeddings.iter().zip(&e.scores) {
                for v in emb.iter().chain(sc) {
                    bin.write_all(&v.to_le_bytes())?;
                }
            }
        }
    }
    eprintln!();
    Ok(())
}
