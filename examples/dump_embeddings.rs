//! Dumps clip evidence of a corpus for offline experiments with the head:
//! `cargo run --release --example dump_embeddings -- ../shared/corpus OUT_DIR`
//! writes `meta.tsv` (name, recording, class id, role, variant, split, windows) and `windows.f32`
//! (per window: 1024 embedding values then 521 AudioSet scores, little-endian f32).

use sori::build::{dataset, evidence};
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (input, out) = match args.as_slice() {
        [_, i, o] => (std::path::PathBuf::from(i), std::path::PathBuf::from(o)),
        _ => anyhow::bail!("usage: dump_embeddings CORPUS_DIR OUT_DIR"),
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
    for (split, items, aug) in [("train", &train, 2usize), ("test", &test, 0)] {
        let ev = evidence::collect(
            &model,
            items,
            &|_| {
                std::iter::once(evidence::Variant::Clean)
                    .chain((0..aug).map(evidence::Variant::Augmented))
                    .collect()
            },
            2,
            false,
            &|_, d, t| eprint!("\r{split} {d}/{t}"),
        )?;
        for e in ev.iter().filter(|e| e.error.is_none()) {
            let variant = match e.variant {
                evidence::Variant::Clean => "clean".to_string(),
                evidence::Variant::Augmented(n) => format!("aug{n}"),
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
