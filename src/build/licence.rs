//! May this recording be shipped? A manifest's free-text `license` -> [`Licence`], read
//! conservatively (native only).
//!
//! Reference sounds ship inside the site, so only licences that allow redistribution (with
//! credit) are accepted, and only when the text names them explicitly:
//!
//! - accepted: CC0, CC BY (any version), CC BY-SA (any version), MIT, public domain;
//! - refused: anything naming a non-commercial (NC) or no-derivatives (ND) term, the Creative
//!   Commons Sampling licences, a text that names no licence at all ("Freesound clip, uploader's
//!   Creative Commons licence": which one is unknown; "Kitchen20 authors' recording": none given),
//!   and anything else not recognised.
//!
//! A text naming several licences ("CC BY 3.0 (original); OpenSFX collection CC BY-SA 3.0",
//! "CC-BY-SA-3.0 or CC-BY-3.0") is accepted only when every licence it names is accepted.
//!
//! The hackathon dataset (AI-Hub 71602) has no licence column: its sounds carry
//! [`DATASET_TERMS`], which is its own case, [`Licence::DatasetTerms`]: not on the allow-list, so
//! its reference sounds are made only when the one who holds the dataset tells the build to
//! (`sori build --dataset-sounds`, see [`super::refsound::permitted`]), for a deployment the
//! dataset's terms allow.

/// The licence text the hackathon dataset reader gives its sounds.
pub const DATASET_TERMS: &str = "AI-Hub dataset terms (이미지 사운드 매칭 데이터, 71602)";

/// What a licence text allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Licence {
    /// Redistribution with credit is allowed; the short name(s), e.g. `CC BY 3.0`, `MIT`.
    Redistributable(String),
    /// The hackathon dataset's own terms (see the module docs).
    DatasetTerms,
    /// Not shippable, and why (one line a person can read).
    Refused(String),
}

/// One licence named in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Cc0,
    CcBy,
    CcBySa,
    Mit,
    PublicDomain,
    /// A Creative Commons licence with an NC or ND term, or a Sampling licence.
    Restricted,
}

/// Upper-case words of `text`: runs of letters, digits, `+` and `.` (so `CC-BY-SA-3.0` gives
/// `CC`, `BY`, `SA`, `3.0`).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '+' || c == '.'))
        .map(|w| w.trim_matches('.').to_uppercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Every licence `text` names, in order.
fn named(text: &str) -> Vec<(Named, String)> {
    let w = words(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        match w[i].as_str() {
            "CC0" => out.push((Named::Cc0, "CC0".to_string())),
            "MIT" => out.push((Named::Mit, "MIT".to_string())),
            "PUBLIC" if w.get(i + 1).is_some_and(|n| n == "DOMAIN") => {
                out.push((Named::PublicDomain, "public domain".to_string()));
                i += 1;
            }
            "SAMPLING" | "SAMPLING+" => out.push((Named::Restricted, "CC Sampling".to_string())),
            "CC" => {
                // CC followed by its terms (BY, SA, NC, ND, Sampling), then maybe a version.
                let mut terms: Vec<&str> = Vec::new();
                let mut j = i + 1;
                while let Some(t) = w.get(j) {
                    match t.as_str() {
                        "BY" | "SA" | "NC" | "ND" => terms.push(t),
                        "SAMPLING" | "SAMPLING+" => terms.push("Sampling"),
                        _ => break,
                    }
                    j += 1;
                }
                let mut name = format!("CC {}", terms.join("-"));
                if let Some(v) = w
                    .get(j)
                    .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                {
                    name.push_str(&format!(" {v}"));
                    j += 1;
                }
                let kind = if terms.iter().any(|t| ["NC", "ND", "Sampling"].contains(t)) {
                    Some(Named::Restricted)
                } else if terms == ["BY"] {
                    Some(Named::CcBy)
                } else if terms == ["BY", "SA"] {
                    Some(Named::CcBySa)
                } else {
                    None
                };
                if let Some(kind) = kind {
                    out.push((kind, name));
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Reads a manifest's licence text conservatively (see the module docs).
pub fn classify(text: &str) -> Licence {
    let text = text.trim();
    if text == DATASET_TERMS {
        return Licence::DatasetTerms;
    }
    if text.is_empty() {
        return Licence::Refused("no licence given".into());
    }
    let found = named(text);
    if let Some((_, name)) = found.iter().find(|(k, _)| *k == Named::Restricted) {
        let why = if name.contains("Sampling") {
            "a Creative Commons Sampling licence (restricts use and redistribution)"
        } else if name.contains("NC") {
            "a non-commercial licence"
        } else {
            "a no-derivatives licence (a trimmed excerpt is a derivative)"
        };
        return Licence::Refused(format!("{name}: {why}"));
    }
    if found.is_empty() {
        let lower = text.to_lowercase();
        let why = if lower.contains("creative commons") {
            "which Creative Commons licence is not stated"
        } else {
            "no licence named"
        };
        return Licence::Refused(format!("{text:?}: {why}"));
    }
    let mut names: Vec<String> = Vec::new();
    for (_, n) in found {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    Licence::Redistributable(names.join(" / "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, name: &str) {
        assert_eq!(
            classify(text),
            Licence::Redistributable(name.into()),
            "{text}"
        );
    }

    fn refused(text: &str, why: &str) {
        match classify(text) {
            Licence::Refused(r) => assert!(r.contains(why), "{text}: {r}"),
            other => panic!("{text} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn every_licence_text_of_the_corpus_is_read_as_intended() {
        ok("CC BY 4.0 (per ATTRIBUTION.md)", "CC BY 4.0");
        ok("CC BY 3.0 (sources.md)", "CC BY 3.0");
        ok("CC BY 3.0 (package/ATTRIBUTION)", "CC BY 3.0");
        ok("CC BY 3.0 (per wl-sound-docu.csv)", "CC BY 3.0");
        ok(
            "CC BY 3.0 (original); OpenSFX collection CC BY-SA 3.0",
            "CC BY 3.0 / CC BY-SA 3.0",
        );
        ok(
            "CC BY-SA 3.0 (per README; freesound lists CC BY 3.0)",
            "CC BY-SA 3.0 / CC BY 3.0",
        );
        ok("CC BY-SA 4.0 (repo LICENSE: media)", "CC BY-SA 4.0");
        ok("CC-BY", "CC BY");
        ok("CC-BY-3.0 (debian/copyright)", "CC BY 3.0");
        ok(
            "CC-BY-SA-3.0 or CC-BY-3.0 (debian/copyright)",
            "CC BY-SA 3.0 / CC BY 3.0",
        );
        ok("CC0", "CC0");
        ok("CC0 (freesound 116315 per commit a2a809f)", "CC0");
        ok(
            "CC0 (original); OpenSFX collection CC BY-SA 3.0",
            "CC0 / CC BY-SA 3.0",
        );
        ok(
            "CC0 per repo data-raw/README (freesound 131348; README link text inconsistent)",
            "CC0",
        );
        for cc0 in [
            "CC0 (README table)",
            "CC0 (SOUNDS_LICENSING.md)",
            "CC0 (Samples/README.md)",
            "CC0 (freesound 18654 per commit a2a809f)",
            "CC0 (freesound 202017 per commit a2a809f)",
            "CC0 (freesound 42095 per commit a2a809f)",
            "CC0 (freesound 94024 per commit a2a809f)",
            "CC0 (mods/tnt/README.txt)",
            "CC0 (sources.md)",
        ] {
            ok(cc0, "CC0");
        }
        ok("MIT (package readme: plugin and 25 included sounds)", "MIT");
        ok("MIT (repo LICENSE)", "MIT");
        ok("MIT (repo LICENSE, Hai Nguyen)", "MIT");
        ok(
            "MIT (repo LICENSE, commit 628c8a8; covers repo content incl. audio)",
            "MIT",
        );
        ok(
            "MIT (Tickeys repo LICENSE; no separate asset licence)",
            "MIT",
        );
        ok("Public domain (debian/copyright)", "public domain");
        refused("CC BY-NC 3.0 (UrbanSound8K)", "non-commercial");
        refused("CC-Sampling+", "Sampling");
        refused(
            "Freesound clip, uploader's Creative Commons licence",
            "which Creative Commons licence is not stated",
        );
        refused("Kitchen20 authors' recording", "no licence named");
        refused("", "no licence given");
    }

    #[test]
    fn restricted_terms_win_over_permitted_ones_and_unknown_texts_are_refused() {
        refused("CC BY-ND 4.0", "no-derivatives");
        refused("CC BY-NC-SA 4.0", "non-commercial");
        refused("CC0 or CC BY-NC 3.0", "non-commercial");
        refused("GPL-3.0", "no licence named");
        refused("All rights reserved", "no licence named");
        refused("Creative Commons", "not stated");
        refused("CC SA 1.0", "no licence named");
        assert_eq!(classify(DATASET_TERMS), Licence::DatasetTerms);
        // Words that merely contain a licence's letters are not licences.
        refused("admit it: commit 628c8a8", "no licence named");
    }
}
