//! `sori inspect`: a decoded [`Index`] plus its raw bytes -> a human-readable report of
//! the header, per-section sizes (with a gzip estimate on native builds), classes per
//! category with coverage and clip counts, the head, zero-shot rules and fingerprints.

use super::format;
use super::Index;
use crate::matcher::Coverage;
use std::fmt::Write as _;

/// Gzip-compressed size of `data` (default level), or `None` where gzip is unavailable.
#[cfg(not(target_arch = "wasm32"))]
fn gzip_len(data: &[u8]) -> Option<usize> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).ok()?;
    enc.finish().ok().map(|v| v.len())
}

#[cfg(target_arch = "wasm32")]
fn gzip_len(_data: &[u8]) -> Option<usize> {
    None
}

fn coverage_name(c: Coverage) -> &'static str {
    match c {
        Coverage::Trained => "many recs",
        Coverage::TrainedFew => "few recs",
        Coverage::ZeroShot => "zero-shot",
        Coverage::None => "none",
    }
}

/// A human-readable summary of `index`, whose encoded bytes are `raw` (used for the
/// per-section sizes; if `raw` does not parse, the report says why and goes on).
pub fn inspect_report(index: &Index, raw: &[u8]) -> String {
    let mut r = String::new();
    let _ = writeln!(r, "Sori index: {} bytes", raw.len());
    match format::read_header(raw) {
        Ok(h) => {
            let _ = writeln!(r, "format version  {}", h.version);
            let _ = writeln!(r, "analysis hash   {:#018x}", h.feature_hash);
            let _ = writeln!(r, "model id        {}", index.model_id);
            let _ = writeln!(r, "\nsection         bytes      gzip");
            let header_len = h.sections.first().map_or(raw.len(), |s| s.offset as usize);
            let _ = writeln!(r, "{:<12} {:>8} {:>9}", "header", header_len, "-");
            for s in &h.sections {
                let data = &raw[s.offset as usize..s.offset as usize + s.length as usize];
                let gz = gzip_len(data).map_or_else(|| "-".to_string(), |n| n.to_string());
                let _ = writeln!(
                    r,
                    "{:<12} {:>8} {:>9}",
                    format::section_name(s.tag),
                    s.length,
                    gz
                );
            }
            let gz = gzip_len(raw).map_or_else(|| "-".to_string(), |n| n.to_string());
            let _ = writeln!(r, "{:<12} {:>8} {:>9}", "total", raw.len(), gz);
        }
        Err(e) => {
            let _ = writeln!(r, "raw bytes do not parse: {e}");
            let _ = writeln!(r, "analysis hash   {:#018x}", index.feature_hash);
            let _ = writeln!(r, "model id        {}", index.model_id);
        }
    }

    let count = |c: Coverage| index.classes.iter().filter(|k| k.coverage == c).count();
    let _ = writeln!(
        r,
        "\nclasses: {} ({} learned from many recordings, {} from a few, {} zero-shot, {} none), {} with images",
        index.classes.len(),
        count(Coverage::Trained),
        count(Coverage::TrainedFew),
        count(Coverage::ZeroShot),
        count(Coverage::None),
        index.classes.iter().filter(|c| c.image.is_some()).count()
    );
    let mut categories: Vec<(&str, &str)> = Vec::new();
    for c in &index.classes {
        if !categories.iter().any(|(k, _)| *k == c.info.category) {
            categories.push((&c.info.category, &c.info.category_ko));
        }
    }
    for (cat, cat_ko) in categories {
        let _ = writeln!(r, "  {cat} ({cat_ko})");
        for c in index.classes.iter().filter(|c| c.info.category == cat) {
            let image = c.image.as_ref().map_or_else(
                || "no image".to_string(),
                |i| {
                    format!(
                        "{} {} B",
                        i.mime.trim_start_matches("image/"),
                        i.bytes.len()
                    )
                },
            );
            let _ = writeln!(
                r,
                "    {:>2} {:<22} {:<10} {:>4} clips {:>3} recordings  {}",
                c.info.id,
                c.info.slug,
                coverage_name(c.coverage),
                c.clips,
                c.recordings,
                image
            );
        }
    }

    let h = &index.head;
    let _ = writeln!(
        r,
        "\nhead: {} outputs ({} other groups) x {} inputs (fp16), unknown threshold {}, maybe threshold {}",
        h.outputs.len(),
        h.outputs.iter().filter(|&&o| o == 0).count(),
        h.input_dim,
        h.unknown_threshold,
        h.maybe_threshold
    );
    let z = &index.zero_shot;
    let _ = writeln!(
        r,
        "zero-shot: {} rules, threshold {}",
        z.rules.len(),
        z.threshold
    );
    let e = &index.exemplars;
    let _ = writeln!(r, "exemplars: {} x {} (int8)", e.class_ids.len(), e.dim);
    let f = &index.fingerprints;
    let _ = writeln!(
        r,
        "fingerprints: {} hashes from {} recordings",
        f.entries.len(),
        f.recordings.len()
    );
    if !index.subclasses.is_empty() {
        let _ = writeln!(r, "\nsub-classes: {}", index.subclasses.len());
        for c in &index.classes {
            let subs: Vec<String> = index
                .subclasses
                .iter()
                .filter(|s| s.class_id == c.info.id)
                .map(|s| format!("{} ({} sounds, {} images)", s.name, s.sounds, s.images))
                .collect();
            if !subs.is_empty() {
                let _ = writeln!(r, "  {:<22} {}", c.info.slug, subs.join(", "));
            }
        }
    }
    let _ = writeln!(r, "\nbuild info:\n{}", index.build_info.trim_end());
    r
}
