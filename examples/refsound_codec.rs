//! Measures the reference-sound codec on the corpus: every class clip whose licence allows
//! redistribution, its first 3 s, encoded at several Vorbis qualities -> bytes and log-mel
//! correlation of the round trip (min / median / max over the clips).
//!
//! cargo run --release --example refsound_codec -- ../shared/corpus

use sori::build::{dataset, evidence, licence, vorbis};

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/corpus".into());
    let data = dataset::discover(std::path::Path::new(&root)).expect("corpus");
    let text = std::fs::read_to_string(std::path::Path::new(&root).join("manifest.tsv")).unwrap();
    let licences: std::collections::HashMap<String, String> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[6].to_string())
        })
        .collect();
    // Every distinct licence text of the manifest, with its clips and how it is read.
    let mut texts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for l in licences.values() {
        *texts.entry(l.as_str()).or_default() += 1;
    }
    println!("| clips | licence text | read as |\n|---:|---|---|");
    for (t, n) in &texts {
        let read = match licence::classify(t) {
            licence::Licence::Redistributable(name) => format!("shipped: {name}"),
            licence::Licence::DatasetTerms => "dataset terms (only with --dataset-sounds)".into(),
            licence::Licence::Refused(why) => format!("refused: {why}"),
        };
        println!("| {n} | {t} | {read} |");
    }
    let qualities = [-0.2f32, -0.1, 0.0, 0.1, 0.2, 0.4];
    let mut rows: Vec<Vec<(usize, f32)>> = vec![Vec::new(); qualities.len()];
    let mut seen = std::collections::HashSet::new();
    for s in data.sounds.iter().filter(|s| s.class_id.is_some()) {
        let rel = s
            .path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !matches!(
            licence::classify(&licences[&rel]),
            licence::Licence::Redistributable(_)
        ) || !seen.insert(s.recording.clone())
        {
            continue;
        }
        let samples = evidence::load_16k(&s.path).unwrap();
        let cut = &samples[..samples.len().min(48_000)];
        for (q, row) in qualities.iter().zip(&mut rows) {
            let (bytes, corr) = vorbis::encode_checked(cut, *q).unwrap();
            row.push((bytes.len() * 48_000 / cut.len(), corr));
        }
    }
    println!(
        "{} recordings (first clip, first 3 s; bytes scaled to 3 s)",
        rows[0].len()
    );
    for (q, row) in qualities.iter().zip(&rows) {
        let mut b: Vec<usize> = row.iter().map(|r| r.0).collect();
        let mut c: Vec<f32> = row.iter().map(|r| r.1).collect();
        b.sort_unstable();
        c.sort_by(f32::total_cmp);
        println!(
            "q {q:>5}: bytes min {} median {} max {}; correlation min {:.3} median {:.3} max {:.3}",
            b[0],
            b[b.len() / 2],
            b[b.len() - 1],
            c[0],
            c[c.len() / 2],
            c[c.len() - 1]
        );
    }
}
