//! Writes a synthetic dataset of the real hackathon dataset's shape and size, for the scale
//! benchmark of `sori build` (issue 15; `docs/benchmarks.md`). Never commit its output.
//!
//! ```sh
//! cargo run --release --example gen_dataset -- ../shared /tmp/sori-hackathon [--small]
//! ```
//!
//! Full size: 76 classes, 1,640 sound clips (3–10 s for 60% of them, 10–30 s for 30%, 30–60 s
//! for 10%; 8–48 kHz WAV, some stereo; 2–4 clips per recording, a fifth of the recordings in
//! Validation), 16,400 photos of phone-camera sizes (8–16 MP JPEG, 4 distinct encodes per class,
//! each file unique), label JSONs in UTF-8 and CP949, zip archives with NFD names and folders
//! (layout in `sori::build::aihub::synth`). Classes without corpus recordings take the sounds of
//! a class that has some. `--small`: 76 classes × 3 clips, small photos (a quick check).

use sori::build::aihub::synth::{self, SynthOptions};
use std::path::PathBuf;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let small = args.iter().any(|a| a == "--small");
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [shared, out] = paths.as_slice() else {
        return Err("usage: gen_dataset SHARED_DIR OUT_DIR [--small]".into());
    };
    let (shared, out) = (PathBuf::from(shared), PathBuf::from(out));
    let corpus = sori::build::dataset::discover(&shared.join("corpus"))?;
    let taxonomy = sori::taxonomy::classes();
    let with_sounds: Vec<&str> = taxonomy
        .iter()
        .filter(|c| corpus.sounds.iter().any(|s| s.class_id == Some(c.id)))
        .map(|c| c.slug.as_str())
        .collect();
    let total = if small { 3 * 76 } else { 1_640 };
    let classes: Vec<(u16, String)> = taxonomy
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let source = if with_sounds.contains(&c.slug.as_str()) {
                c.slug.as_str()
            } else {
                with_sounds[i % with_sounds.len()]
            };
            (c.id, source.to_string())
        })
        .collect();
    let opts = SynthOptions {
        clips_per_class: (0..76)
            .map(|i| total * (i + 1) / 76 - total * i / 76)
            .collect(),
        classes,
        photos_per_clip: 10,
        distinct_photos: 4,
        photo_sizes: if small {
            vec![(640, 480), (480, 640)]
        } else {
            vec![
                (4032, 3024),
                (3024, 4032),
                (4000, 3000),
                (3264, 2448),
                (2448, 3264),
                (4624, 3468),
            ]
        },
        durations: vec![(3.0, 10.0, 0.6), (10.0, 30.0, 0.3), (30.0, 60.0, 0.1)],
        validation_every: 5,
        seed: 71_602,
    };
    let t = std::time::Instant::now();
    let report = synth::write(
        &shared.join("corpus"),
        &shared.join("images"),
        &out,
        &opts,
        &|stage, done, total| {
            eprint!("\r{stage}: {done}/{total}");
        },
    )?;
    eprintln!(
        "\nwrote {}: {} sounds ({:.1} h), {} photos, {} labels, {:.2} GB in {:.0} s",
        report.root.display(),
        report.sounds,
        report.seconds / 3600.0,
        report.photos,
        report.labels,
        report.bytes as f64 / 1e9,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
