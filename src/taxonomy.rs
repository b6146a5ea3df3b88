//! The 76 classes of the hackathon taxonomy, compiled in from `assets/classes.tsv`
//! (a copy of `../shared/taxonomy/classes.tsv`; a test checks the copy is current).

/// One of the 76 sound classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassInfo {
    /// Hackathon id, 1..=76, in the notice's order.
    pub id: u16,
    /// Stable ASCII identifier, e.g. `pan_frying`.
    pub slug: String,
    /// Category slug, e.g. `cooking`.
    pub category: String,
    /// Category name in Korean, e.g. `요리`.
    pub category_ko: String,
    /// Class name in Korean, as in the hackathon notice.
    pub name_ko: String,
    /// Class name in English.
    pub name_en: String,
}

/// The taxonomy TSV compiled into the crate.
pub const CLASSES_TSV: &str = include_str!("../assets/classes.tsv");

/// Number of classes in the taxonomy.
pub const NUM_CLASSES: usize = 76;

/// Parses a taxonomy TSV (`id slug category category_ko name_ko name_en`, with a header line).
///
/// Returns a message naming the offending line when a row is malformed.
pub fn parse_classes(tsv: &str) -> Result<Vec<ClassInfo>, String> {
    let mut out = Vec::new();
    for (n, line) in tsv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 6 {
            return Err(format!(
                "line {}: expected 6 tab-separated fields, found {}",
                n + 1,
                f.len()
            ));
        }
        let id = f[0]
            .trim()
            .parse::<u16>()
            .map_err(|e| format!("line {}: bad id {:?}: {e}", n + 1, f[0]))?;
        out.push(ClassInfo {
            id,
            slug: f[1].trim().to_string(),
            category: f[2].trim().to_string(),
            category_ko: f[3].trim().to_string(),
            name_ko: f[4].trim().to_string(),
            name_en: f[5].trim().to_string(),
        });
    }
    Ok(out)
}

/// The 76 built-in classes, in id order.
pub fn classes() -> Vec<ClassInfo> {
    parse_classes(CLASSES_TSV).expect("the compiled-in taxonomy is valid (checked by tests)")
}

/// Finds a class by slug, Korean name or numeric id (as used by dataset folder names).
pub fn lookup<'a>(classes: &'a [ClassInfo], name: &str) -> Option<&'a ClassInfo> {
    let name = name.trim();
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
    };
    let wanted = norm(name);
    classes.iter().find(|c| {
        c.slug == name
            || norm(&c.name_ko) == wanted
            || name.parse::<u16>().ok() == Some(c.id)
            || norm(&c.slug) == wanted
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_taxonomy_has_76_classes_with_unique_slugs() {
        let c = classes();
        assert_eq!(c.len(), NUM_CLASSES);
        let mut slugs: Vec<_> = c.iter().map(|c| c.slug.as_str()).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), NUM_CLASSES);
        assert!(c.iter().enumerate().all(|(i, c)| c.id as usize == i + 1));
    }

    #[test]
    fn lookup_by_slug_korean_name_and_id() {
        let c = classes();
        assert_eq!(lookup(&c, "pan_frying").unwrap().id, 8);
        assert_eq!(lookup(&c, "전부치기").unwrap().slug, "pan_frying");
        assert_eq!(lookup(&c, "다지기(고기)").unwrap().slug, "mincing_meat");
        assert_eq!(lookup(&c, "콤바인 작업").unwrap().slug, "combine_harvester");
        assert_eq!(lookup(&c, "콤바인작업").unwrap().slug, "combine_harvester");
        assert_eq!(lookup(&c, "12").unwrap().slug, "car_idling");
        assert!(lookup(&c, "nonsense").is_none());
    }

    #[test]
    fn compiled_copy_matches_shared_taxonomy_when_present() {
        let shared =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/taxonomy/classes.tsv");
        match std::fs::read_to_string(&shared) {
            Ok(s) => assert_eq!(
                s, CLASSES_TSV,
                "assets/classes.tsv is stale: copy ../shared/taxonomy/classes.tsv"
            ),
            Err(_) => eprintln!("skipped: ../shared is absent"),
        }
    }

    #[test]
    fn malformed_rows_are_reported() {
        assert!(parse_classes("h\n1\tonly\n")
            .unwrap_err()
            .contains("line 2"));
        assert!(parse_classes("h\nx\ta\tb\tc\td\te\n")
            .unwrap_err()
            .contains("bad id"));
    }
}
