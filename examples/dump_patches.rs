//! Dumps the log-mel patches YAMNet sees, for offline experiments that re-run (part of) the network:
//! `cargo run --release --example dump_patches -- ../shared/corpus OUT_DIR [AUGMENTATIONS]`
//! writes `meta.tsv` (name, recording, class id, role, variant, split, windows) and `patches.f32`
//! (per non-silent window: 96 x 64 log-mel values, frames x bands, little-endian f32), with the same
//! split, augmentations, windowing and loudness normalisation as `sori build`.

use sori::build::{dataset, evidence};
use sori::matcher::Analyzer;
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (input, out, aug) = match args.as_slice() {
        [_, i, o] => (i, o, 4usize),
        [_, i, o, n] => (i, o, n.parse()?),
        [_, i, o, n, _] => (i, o, n.parse()?),
        _ => {
            anyhow::bail!("usage: dump_patches CORPUS_DIR OUT_DIR [AUGMENTATIONS [TEST_CONDITION]]")
        }
    };
    // With a test condition (see `sori eval --conditions`), only the held-out clips are written, transformed.
    let condition = match args.get(4) {
        Some(c) => Some(
            sori::build::eval::Condition::parse(c)
                .ok_or_else(|| anyhow::anyhow!("unknown condition {c:?}"))?,
        ),
        None => None,
    };
    let out = std::path::PathBuf::from(out);
    std::fs::create_dir_all(&out)?;
    let data = dataset::discover(std::path::Path::new(input)).map_err(anyhow::Error::msg)?;
    let opts = sori::build::BuildOptions {
        augmentations: aug,
        ..sori::build::BuildOptions::new(input.into())
    };
    let (train, test) = sori::build::split(&data, opts.holdout, opts.seed);
    let mut meta = std::fs::File::create(out.join("meta.tsv"))?;
    let mut bin = std::io::BufWriter::new(std::fs::File::create(out.join("patches.f32"))?);
    writeln!(
        meta,
        "name\trecording\tclass\trole\tvariant\tsplit\twindows"
    )?;
    let mut analyzer = Analyzer::new(sori::build::load_model(&opts.model)?);
    let splits = if condition.is_some() {
        vec![("test", &test, 0)]
    } else {
        vec![("train", &train, aug), ("test", &test, 0)]
    };
    for (split, items, aug) in splits {
        for (k, item) in items.iter().enumerate() {
            if k % 100 == 0 {
                eprintln!("{split} {k}/{}", items.len());
            }
            let name = item
                .path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            let Ok(samples) = evidence::load_16k(&item.path) else {
                continue;
            };
            let samples = match &condition {
                Some(c) => c.apply(&samples, &name),
                None => samples,
            };
            let variants = if aug == 0 {
                vec![evidence::Variant::Clean]
            } else {
                sori::build::training_variants(&opts, item)
            };
            for variant in variants {
                let (variant, audio) = match variant {
                    evidence::Variant::Clean => ("clean".to_string(), samples.clone()),
                    evidence::Variant::Augmented(n) => (
                        format!("aug{n}"),
                        evidence::augment_clip(&samples, &name, n),
                    ),
                };
                let mut count = 0;
                for start in Analyzer::window_starts(audio.len()) {
                    if let Some(logmel) = analyzer.window_logmel(Analyzer::window_at(&audio, start))
                    {
                        for x in logmel.patch(0) {
                            bin.write_all(&x.to_le_bytes())?;
                        }
                        count += 1;
                    }
                }
                writeln!(
                    meta,
                    "{name}\t{}\t{}\t{:?}\t{variant}\t{split}\t{count}",
                    item.recording,
                    item.class_id.unwrap_or(0),
                    item.role
                )?;
            }
        }
    }
    Ok(())
}
