//! What a path in the dataset says: its split (`Training`/`TS_…` or `Validation`/`VS_…`), the
//! folders that identify it (without `원천데이터`/`라벨링데이터` and archive prefixes, so a file and
//! its label in the parallel tree compare equal), its stem, and the recording its name names.
//! Input: NFC paths relative to the dataset root, `/`-separated. Output: plain values.

use super::names;
use crate::build::dataset::{IMAGE_EXTENSIONS, SOUND_EXTENSIONS};

/// A dataset split as the dataset declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Split {
    /// `Training`, `TS_…`/`TL_…`.
    Training,
    /// `Validation`, `VS_…`/`VL_…`.
    Validation,
}

/// The split a path lies in, from its outermost folder that names one.
pub fn split_of(rel: &str) -> Option<Split> {
    let dirs = rel.rsplit_once('/').map_or("", |(d, _)| d);
    dirs.split('/').find_map(|comp| {
        let c = names::strip_ordinal(comp).to_lowercase();
        let c = c.trim_end_matches(".zip");
        if c.starts_with("ts_")
            || c.starts_with("tl_")
            || ["training", "train", "학습", "훈련"]
                .iter()
                .any(|t| c.starts_with(t))
        {
            Some(Split::Training)
        } else if c.starts_with("vs_")
            || c.starts_with("vl_")
            || ["validation", "valid", "val", "검증"].contains(&c)
            || c.starts_with("validation")
        {
            Some(Split::Validation)
        } else {
            None
        }
    })
}

/// Folder components that only say "sources" or "labels" (or the split), dropped before comparing
/// a file's folders with its label's.
pub fn structural(comp: &str) -> bool {
    let c = names::key(names::strip_ordinal(comp));
    [
        "원천데이터",
        "라벨링데이터",
        "원천",
        "라벨링",
        "라벨",
        "source",
        "sources",
        "sourcedata",
        "label",
        "labels",
        "labeling",
        "labelling",
        "labeldata",
        "raw",
        "rawdata",
        "data",
        "데이터",
        "training",
        "train",
        "validation",
        "valid",
        "val",
        "학습",
        "검증",
    ]
    .contains(&c.as_str())
}

/// A path's folders as compared between a file and its label: structural parts dropped, archive
/// prefixes (`TS_`, `TL_`…) and `.zip` removed, NFC keys.
pub fn folder_keys(rel: &str) -> Vec<String> {
    let dirs = rel.rsplit_once('/').map_or("", |(d, _)| d);
    dirs.split('/')
        .filter(|c| !c.is_empty() && !structural(c))
        .map(|c| {
            let c = archive_stem(c);
            names::key(c)
        })
        .collect()
}

/// A folder or archive name without `.zip` and without AI-Hub's `TS_`/`TL_`/`VS_`/`VL_` prefix.
pub fn archive_stem(name: &str) -> &str {
    let c = name.strip_suffix(".zip").unwrap_or(name);
    let prefixed = ["ts_", "tl_", "vs_", "vl_"]
        .iter()
        .any(|p| c.get(..3).is_some_and(|h| h.eq_ignore_ascii_case(p)));
    if prefixed {
        &c[3..]
    } else {
        c
    }
}

pub fn stem_key(name: &str) -> String {
    let mut s = name;
    for _ in 0..2 {
        if let Some((stem, ext)) = s.rsplit_once('.') {
            let ext = ext.to_ascii_lowercase();
            if ext == "json"
                || SOUND_EXTENSIONS.contains(&ext.as_str())
                || IMAGE_EXTENSIONS.contains(&ext.as_str())
            {
                s = stem;
            }
        }
    }
    names::nfc(s).to_lowercase()
}

/// The recording named by a clip's file name: `<id>_<n>_<k>` -> `<id>_<n>`, `<id>_clip<k>` -> `<id>`.
pub fn recording_from_name(stem: &str) -> Option<String> {
    let cut = stem.rfind(['_', '-', ' '])?;
    let (rest, last) = (&stem[..cut], &stem[cut + 1..]);
    let lower = last.to_ascii_lowercase();
    let marker = ["clip", "seg", "segment", "part", "cut", "chunk"]
        .iter()
        .any(|m| {
            lower
                .strip_prefix(m)
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        });
    let numbered = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) && {
        let prev = rest.rsplit(['_', '-', ' ']).next().unwrap_or("");
        prev.bytes().any(|b| b.is_ascii_digit())
            && prev
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .bytes()
                .all(|b| b.is_ascii_digit())
    };
    (marker || numbered).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_folders_and_recordings_from_paths() {
        assert_eq!(
            split_of("01.데이터/1.Training/원천데이터/TS_1.요리.zip/a.wav"),
            Some(Split::Training)
        );
        assert_eq!(
            split_of("2.Validation/라벨링데이터/x/a.json"),
            Some(Split::Validation)
        );
        assert_eq!(
            split_of("VL_요리.zip/끓이기/a.json"),
            Some(Split::Validation)
        );
        assert_eq!(split_of("요리/끓이기/a.wav"), None);
        assert_eq!(
            folder_keys("1.Training/원천데이터/TS_요리.zip/끓이기/국 끓이기/a.wav"),
            folder_keys("1.Training/라벨링데이터/TL_요리.zip/끓이기/국 끓이기/a.json")
        );
        assert_eq!(stem_key("S_01.WAV.json"), "s_01");
        assert_eq!(
            recording_from_name("S20220901_0003_02").as_deref(),
            Some("S20220901_0003")
        );
        assert_eq!(recording_from_name("rec7_clip2").as_deref(), Some("rec7"));
        assert_eq!(
            recording_from_name("kettle_01"),
            None,
            "one number: each file its own recording"
        );
        assert_eq!(recording_from_name("1.요리_끓이기_0001"), None);
        assert_eq!(recording_from_name("R0123_04").as_deref(), Some("R0123"));
    }
}
