//! Names as the hackathon dataset writes them -> one of the 76 classes.
//!
//! Input: a class name from a label (`info.class.depth2`, or its depth1/depth3 siblings) or a
//! folder or archive name, in NFC or NFD, with the notice's spacing or not. Output: a class id and
//! how it was found ([`How`]), so that every guess beyond an exact match is reported.
//!
//! Matching, in order: exact after normalising ([`key`]: NFC, lower case, no spaces or
//! punctuation, so `냉장고 사용` = `냉장고사용` and `다지기 (고기)` = `다지기(고기)`); slug, English
//! name or id; a short table of wordings the dataset is known to use ([`ALIASES`]); a stem match
//! (the name and exactly one class agree once a trailing `사용`/`사용하기`/`하기`/`작업`/`동작`
//! is dropped, e.g. `에어컨` or `에어컨 사용하기` -> `에어컨사용`). Anything else is no class.

use crate::taxonomy::ClassInfo;
use unicode_normalization::UnicodeNormalization;

/// How a name was matched to a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum How {
    /// The notice's Korean name, slug, English name or id, spacing and punctuation ignored.
    Exact,
    /// A known different wording ([`ALIASES`]).
    Alias,
    /// Equal once a generic verb ending is dropped, and unique among the 76.
    Stem,
}

/// Wordings of the dataset's labels that differ from the notice's names beyond spacing (seen in
/// code written against the real labels), as (wording, class slug).
pub const ALIASES: &[(&str, &str)] = &[
    ("믹서기 사용", "blender"),
    ("믹서기", "blender"),
    ("압력밥솥", "pressure_rice_cooker"),
    ("전기압력밥솥 사용", "pressure_rice_cooker"),
    ("트랙터 작업", "tractor"),
    ("러닝머신", "treadmill"),
];

/// Verb endings a stem match may drop (longest first).
const ENDINGS: [&str; 5] = ["사용하기", "사용", "하기", "작업", "동작"];

/// NFC form of `s` (names from macOS archives are decomposed, NFD).
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Comparison key: NFC, lower case, letters and digits only.
pub fn key(s: &str) -> String {
    s.nfc()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// `s` without a leading ordinal such as `1.`, `01_`, `2-` or `03 ` (AI-Hub numbers its folders).
pub fn strip_ordinal(s: &str) -> &str {
    let t = s.trim();
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == t.len() {
        return t;
    }
    match t[digits..].strip_prefix(['.', '_', '-', ' ', ')']) {
        Some(rest) if !rest.trim().is_empty() => rest.trim(),
        _ => t,
    }
}

fn stem(k: &str) -> &str {
    ENDINGS
        .iter()
        .find_map(|e| k.strip_suffix(e).filter(|s| s.chars().count() >= 2))
        .unwrap_or(k)
}

/// The 76 classes, ready to match names against.
#[derive(Debug, Clone)]
pub struct ClassNames {
    /// (key, class id) for Korean names, slugs, English names and ids.
    exact: Vec<(String, u16)>,
    aliases: Vec<(String, u16)>,
    stems: Vec<(String, u16)>,
}

impl ClassNames {
    /// Matcher over `classes`.
    pub fn new(classes: &[ClassInfo]) -> Self {
        let mut exact = Vec::new();
        for c in classes {
            for name in [&c.name_ko, &c.slug, &c.name_en, &c.id.to_string()] {
                exact.push((key(name), c.id));
            }
        }
        let id_of = |slug: &str| classes.iter().find(|c| c.slug == slug).map(|c| c.id);
        let aliases = ALIASES
            .iter()
            .filter_map(|(w, slug)| Some((key(w), id_of(slug)?)))
            .collect();
        let stems = classes
            .iter()
            .map(|c| (stem(&key(&c.name_ko)).to_string(), c.id))
            .collect();
        ClassNames {
            exact,
            aliases,
            stems,
        }
    }

    /// The class `name` denotes, if any, and how it was found.
    pub fn find(&self, name: &str) -> Option<(u16, How)> {
        let k = key(strip_ordinal(name));
        if k.is_empty() {
            return None;
        }
        let unique = |hits: Vec<u16>| -> Option<u16> {
            let first = *hits.first()?;
            hits.iter().all(|&h| h == first).then_some(first)
        };
        let among = |list: &[(String, u16)], k: &str| -> Vec<u16> {
            list.iter()
                .filter(|(n, _)| n == k)
                .map(|&(_, id)| id)
                .collect()
        };
        if let Some(id) = unique(among(&self.exact, &k)) {
            return Some((id, How::Exact));
        }
        if let Some(id) = unique(among(&self.aliases, &k)) {
            return Some((id, How::Alias));
        }
        let s = stem(&k);
        if s.chars().count() >= 2 {
            if let Some(id) = unique(among(&self.stems, s)) {
                return Some((id, How::Stem));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_punctuation_nfd_ordinals_and_wordings() {
        let n = ClassNames::new(&crate::taxonomy::classes());
        let id = |s: &str| n.find(s).map(|(id, _)| id);
        assert_eq!(n.find("냉장고 사용"), Some((16, How::Exact)));
        assert_eq!(id("냉장고사용"), Some(16));
        let nfd: String = "냉장고 사용".nfd().collect();
        assert_ne!(nfd, "냉장고 사용");
        assert_eq!(id(&nfd), Some(16));
        assert_eq!(id("다지기 (고기)"), Some(4));
        assert_eq!(id("다지기(채소)"), Some(5));
        assert_eq!(id("01.끓이기"), Some(3));
        assert_eq!(id("3_끓이기"), Some(3));
        assert_eq!(id("boiling"), Some(3));
        assert_eq!(id("Pan-frying jeon"), Some(8));
        assert_eq!(n.find("믹서기 사용"), Some((28, How::Alias)));
        assert_eq!(n.find("에어컨 사용하기"), Some((22, How::Stem)));
        assert_eq!(
            id("면도하기"),
            Some(33),
            "the razor, not the electric shaver"
        );
        assert_eq!(id("면도하기(전기제품)"), Some(32));
        assert_eq!(
            id("커피콩"),
            None,
            "ambiguous between grinding and roasting"
        );
        assert_eq!(id("국 끓이기"), None, "a sub-class is not a class");
        assert_eq!(id(""), None);
        assert_eq!(strip_ordinal("2023"), "2023");
        assert_eq!(strip_ordinal("1.요리"), "요리");
    }
}
