//! The zero-shot prior: `assets/audioset_map.tsv` (class slug -> AudioSet labels of the analysis model, mn04) -> rules.
//!
//! The map started from `../shared/taxonomy/audioset_map.md`; labels that fire on far too many
//! everyday sounds (Water, Engine, Wood, Bell, Hiss, …) were dropped, and labels another class
//! owns more directly were left to that class (the `note` column says which and why).

use crate::matcher::ZeroShotRule;
use anyhow::{bail, Result};

/// The committed map.
pub const AUDIOSET_MAP_TSV: &str = include_str!("../../assets/audioset_map.tsv");

/// Rules for every class the map gives labels for (tier other than `none`), in class id order.
pub fn rules() -> Result<Vec<ZeroShotRule>> {
    parse(AUDIOSET_MAP_TSV)
}

/// Parses a map TSV (`slug tier labels note`; labels separated by `;`).
pub fn parse(tsv: &str) -> Result<Vec<ZeroShotRule>> {
    let labels = crate::embed::audioset_labels();
    let classes = crate::taxonomy::classes();
    let mut rules = Vec::new();
    for (n, line) in tsv.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 {
            bail!("audioset map line {}: expected slug, tier, labels", n + 1);
        }
        let Some(class) = classes.iter().find(|c| c.slug == f[0]) else {
            bail!("audioset map line {}: unknown class {:?}", n + 1, f[0]);
        };
        let mut ids = Vec::new();
        for name in f[2].split(';').map(str::trim).filter(|s| !s.is_empty()) {
            match labels.iter().position(|l| *l == name) {
                Some(i) => ids.push(i as u16),
                None => bail!(
                    "audioset map line {}: {:?} is not an AudioSet label of the model",
                    n + 1,
                    name
                ),
            }
        }
        if !ids.is_empty() {
            rules.push(ZeroShotRule {
                class_id: class.id,
                labels: ids,
            });
        }
    }
    rules.sort_by_key(|r| r.class_id);
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_map_names_real_labels_and_classes() {
        let r = rules().unwrap();
        assert!(r.len() > 50, "{} rules", r.len());
        let boiling = crate::taxonomy::lookup(&crate::taxonomy::classes(), "boiling")
            .unwrap()
            .id;
        let rule = r.iter().find(|r| r.class_id == boiling).unwrap();
        assert_eq!(
            crate::embed::audioset_labels()[rule.labels[0] as usize],
            "Boiling"
        );
    }

    #[test]
    fn bad_labels_are_reported() {
        let e = parse("slug\ttier\tlabels\nboiling\tdirect\tNot a label\n").unwrap_err();
        assert!(e.to_string().contains("not an AudioSet label"));
    }
}
