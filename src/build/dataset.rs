//! Dataset discovery (native only): an input folder -> a [`Dataset`] of sound items with
//! class, role and recording, plus candidate images per class; and a leak-free
//! train/test split by recording.
//!
//! Two layouts are accepted:
//!
//! * **Manifest**: `<input>/manifest.tsv` with the columns `path source label class role
//!   recording license credit` (any order, header by name; `path` relative to `<input>`),
//!   as in `../shared/corpus`. Images come from `<input>/images/` if it exists.
//! * **Folders**: one folder per class, named by slug, Korean name or id
//!   ([`crate::taxonomy::lookup`]), anywhere below the input: `<root>/sounds/<class>/…` +
//!   `<root>/images/<class>/…`, or `<root>/<class>/{*.wav,*.jpg}`, or deeper (e.g.
//!   `<root>/<category>/<class>/…`). A file belongs to its nearest ancestor folder that
//!   names a class. Folders named `other` or `_other` hold [`Role::Other`] sounds.
//!   Each file is its own recording (its path without extension).
//!
//! Order is deterministic: sounds sorted by path, images sorted per class.

use crate::taxonomy::{self, ClassInfo};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Audio file extensions discovery picks up (lower case).
pub const SOUND_EXTENSIONS: [&str; 5] = ["wav", "ogg", "oga", "flac", "mp3"];
/// Image file extensions discovery picks up (lower case).
pub const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "svg"];

/// What a sound is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A recording of one of the 76 classes.
    Class,
    /// None of the classes: teaches the head to answer "unknown".
    Other,
    /// Close to a class but not it: scored neither way.
    Near,
}

/// One sound file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundItem {
    /// The audio file.
    pub path: PathBuf,
    /// Class id (1..=76) for [`Role::Class`] and, when known, [`Role::Near`].
    pub class_id: Option<u16>,
    /// What the clip is for.
    pub role: Role,
    /// Source recording id: clips of one recording stay on one side of a split.
    pub recording: String,
    /// Attribution (may be empty).
    pub credit: String,
    /// The source's own label (the manifest's `label` column; for `other` folders, the folder the
    /// file is in). `other` and `near` sounds with one label form one "other" group in training.
    pub label: String,
}

/// Everything discovery found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Sound files, sorted by path.
    pub sounds: Vec<SoundItem>,
    /// Candidate images per class id, sorted.
    pub images: BTreeMap<u16, Vec<PathBuf>>,
    /// Media files or manifest rows that match no class (sorted), so the user can fix names.
    pub unmatched: Vec<PathBuf>,
    /// Sounds the dataset itself sets aside for validation (its `Validation` split): the
    /// held-out set of [`crate::build::split`]. Empty when the dataset declares no split.
    pub validation: BTreeSet<PathBuf>,
    /// Sub-class (the label's `depth3`, or the folder below the class folder) per sound or image.
    pub subclasses: BTreeMap<PathBuf, String>,
    /// Crop rectangle `[x, y, width, height]` in pixels per image, from its label's bounding box.
    pub crops: BTreeMap<PathBuf, [u32; 4]>,
    /// Licence text per sound (the manifest's `license` column; [`super::licence::DATASET_TERMS`]
    /// for the hackathon dataset's sounds). A sound without one may not be shipped.
    pub licences: BTreeMap<PathBuf, String>,
    /// Files skipped or noticed while reading, each with its reason.
    pub problems: Vec<Problem>,
    /// How many files of each kind were seen (every file counted once).
    pub files: FileCounts,
}

/// A file discovery skipped or has something to say about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file (or `manifest.tsv line N: path`).
    pub path: PathBuf,
    /// The class it belongs to, when known.
    pub class_id: Option<u16>,
    /// Short reason, the same for files with the same problem (groups the summary).
    pub what: String,
    /// The full reason.
    pub detail: String,
    /// Whether the file was left out (otherwise it is used, and this is a warning).
    pub skipped: bool,
}

/// Files seen by discovery, by kind; each file is counted in exactly one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Sound files (used or skipped).
    pub sounds: usize,
    /// Image files (used or skipped).
    pub images: usize,
    /// Label files.
    pub labels: usize,
    /// Label files that describe no file of the dataset.
    pub labels_unpaired: usize,
    /// Files of other kinds, ignored.
    pub other: usize,
    /// macOS metadata and hidden files, ignored.
    pub metadata: usize,
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_sound(path: &Path) -> bool {
    SOUND_EXTENSIONS.contains(&extension(path).as_str())
}

fn is_image(path: &Path) -> bool {
    IMAGE_EXTENSIONS.contains(&extension(path).as_str())
}

/// Finds the sounds and images under `input` (a manifest folder, the hackathon dataset's own
/// layout, or a class-folder tree).
pub fn discover(input: &Path) -> Result<Dataset, String> {
    discover_with(input, &|_, _, _| {})
}

/// [`discover`], reporting progress: a folder with `manifest.tsv` is a corpus; a folder holding
/// label JSONs or zip archives is read as the hackathon dataset ([`super::aihub`]); anything else
/// as one folder per class.
pub fn discover_with(input: &Path, progress: super::Progress) -> Result<Dataset, String> {
    if !input.is_dir() {
        return Err(format!("{} is not a folder", input.display()));
    }
    let classes = taxonomy::classes();
    let mut data = if !input.join("manifest.tsv").is_file() && super::aihub::looks_like(input) {
        super::aihub::read(input, progress)?
    } else if input.join("manifest.tsv").is_file() {
        let mut d = read_manifest(input, &classes)?;
        let images = input.join("images");
        if images.is_dir() {
            let found = discover_images(&images)?;
            d.images = found.images;
            d.unmatched.extend(found.unmatched);
        }
        d
    } else {
        scan_folders(input, &classes)?
    };
    data.sounds.sort_by(|a, b| a.path.cmp(&b.path));
    data.images.values_mut().for_each(|v| v.sort());
    data.unmatched.sort();
    data.unmatched.dedup();
    if data.files == FileCounts::default() {
        data.files.sounds = data.sounds.len() + data.problems.iter().filter(|p| p.skipped).count();
        data.files.images = data.images.values().map(Vec::len).sum();
    }
    if data.sounds.is_empty() && data.images.is_empty() {
        let why = data.problems.first().map_or_else(String::new, |p| {
            format!(
                " ({} files skipped, e.g. {}: {})",
                data.problems.len(),
                p.path.display(),
                p.detail
            )
        });
        return Err(format!(
            "no usable sounds or images found in {}{why}: expected manifest.tsv, the hackathon dataset's label JSONs or zip archives, or one folder per class (slug, Korean name or id)",
            input.display()
        ));
    }
    Ok(data)
}

/// Finds class images under `dir`: files inside class folders (as in [`discover`]), or
/// loose files whose stem names a class (e.g. `images/pan_frying.svg`).
pub fn discover_images(dir: &Path) -> Result<Dataset, String> {
    let classes = taxonomy::classes();
    let mut d = scan_folders(dir, &classes)?;
    d.sounds.clear();
    let loose = std::mem::take(&mut d.unmatched);
    for path in loose {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        match (is_image(&path), taxonomy::lookup(&classes, stem)) {
            (true, Some(c)) => d.images.entry(c.id).or_default().push(path),
            _ => d.unmatched.push(path),
        }
    }
    d.images.values_mut().for_each(|v| v.sort());
    Ok(d)
}

fn read_manifest(root: &Path, classes: &[ClassInfo]) -> Result<Dataset, String> {
    let path = root.join("manifest.tsv");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut lines = text.lines();
    let mut d = Dataset::default();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(str::trim)
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(p_col), Some(c_col), Some(r_col)) = (col("path"), col("class"), col("role")) else {
        return Err(format!(
            "{}: the header must name at least the columns path, class and role",
            path.display()
        ));
    };
    let (rec_col, credit_col, label_col) = (col("recording"), col("credit"), col("label"));
    let licence_col = col("license").or_else(|| col("licence"));
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let get = |c: Option<usize>| c.and_then(|c| f.get(c)).map_or("", |s| s.trim());
        let rel = get(Some(p_col));
        if rel.is_empty() {
            return Err(format!("{} line {}: empty path", path.display(), n + 2));
        }
        let role = match get(Some(r_col)) {
            "class" => Role::Class,
            "other" => Role::Other,
            "near" => Role::Near,
            r => {
                return Err(format!(
                    "{} line {}: role {r:?} is not class, other or near",
                    path.display(),
                    n + 2
                ))
            }
        };
        let class_name = get(Some(c_col));
        let row = |what: &str, detail: String| Problem {
            path: PathBuf::from(format!("{} line {}: {rel}", path.display(), n + 2)),
            class_id: None,
            what: what.to_string(),
            detail,
            skipped: true,
        };
        let class_id = match (class_name.is_empty(), taxonomy::lookup(classes, class_name)) {
            (true, _) => None,
            (false, Some(c)) => Some(c.id),
            (false, None) => {
                d.problems.push(row(
                    "class not among the 76",
                    format!("class {class_name:?} is not one of the 76 slugs (../taxonomy/classes.tsv); row left out"),
                ));
                continue;
            }
        };
        if !root.join(rel).is_file() {
            d.problems.push(row(
                "missing file",
                "the file does not exist; row left out".into(),
            ));
            continue;
        }
        if role == Role::Class && class_id.is_none() {
            return Err(format!(
                "{} line {}: role is class but no class is given",
                path.display(),
                n + 2
            ));
        }
        let recording = match get(rec_col) {
            "" => rel.to_string(),
            r => r.to_string(),
        };
        let licence = get(licence_col);
        if !licence.is_empty() {
            d.licences.insert(root.join(rel), licence.to_string());
        }
        d.sounds.push(SoundItem {
            path: root.join(rel),
            class_id,
            role,
            recording,
            credit: get(credit_col).to_string(),
            label: get(label_col).to_string(),
        });
    }
    Ok(d)
}

/// Walks `root` (sorted, no symlink loops: symlinked folders are not followed).
fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if depth > 16 {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&e.path(), depth + 1, files)?;
        } else if ft.is_file() || ft.is_symlink() {
            files.push(e.path());
        }
    }
    Ok(())
}

enum FolderClass {
    Class(u16),
    Other,
}

fn scan_folders(root: &Path, classes: &[ClassInfo]) -> Result<Dataset, String> {
    let mut files = Vec::new();
    walk(root, 0, &mut files)?;
    let mut d = Dataset::default();
    let mut unmatched_dirs = BTreeSet::new();
    for path in files {
        let (sound, image) = (is_sound(&path), is_image(&path));
        if !sound && !image {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let folder = rel
            .parent()
            .into_iter()
            .flat_map(|p| p.ancestors())
            .find_map(|a| {
                let name = a.file_name()?.to_str()?;
                match name {
                    "other" | "_other" => Some(FolderClass::Other),
                    _ => taxonomy::lookup(classes, name).map(|c| FolderClass::Class(c.id)),
                }
            });
        let recording = rel.with_extension("").to_string_lossy().into_owned();
        let label = path
            .parent()
            .and_then(Path::file_name)
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match (folder, sound) {
            (Some(FolderClass::Class(id)), true) => d.sounds.push(SoundItem {
                path,
                class_id: Some(id),
                role: Role::Class,
                recording,
                credit: String::new(),
                label,
            }),
            (Some(FolderClass::Class(id)), false) => d.images.entry(id).or_default().push(path),
            (Some(FolderClass::Other), true) => d.sounds.push(SoundItem {
                path,
                class_id: None,
                role: Role::Other,
                recording,
                credit: String::new(),
                label,
            }),
            (Some(FolderClass::Other), false) => d.unmatched.push(path),
            (None, _) if rel.parent().is_some_and(|p| p.as_os_str().is_empty()) => {
                d.unmatched.push(path)
            }
            (None, _) => {
                unmatched_dirs.insert(path.parent().map(Path::to_path_buf).unwrap_or_default());
            }
        }
    }
    d.unmatched.extend(unmatched_dirs);
    Ok(d)
}

/// SplitMix64: a tiny deterministic generator, enough for shuffling recordings.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Splits `items` into `(train, test)` by recording: all clips of one recording land on
/// the same side. Stratified: within each (class, role) group about `test_fraction` of
/// the recordings go to test, and a group with at least two recordings keeps at least
/// one on each side (when `0 < test_fraction < 1`). Deterministic for a given `seed`;
/// both halves keep the input order. Items with an empty recording id count as their
/// own recording.
pub fn split_by_recording(
    items: &[SoundItem],
    test_fraction: f32,
    seed: u64,
) -> (Vec<SoundItem>, Vec<SoundItem>) {
    let fraction = if test_fraction.is_finite() {
        test_fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let key = |it: &SoundItem| -> String {
        if it.recording.is_empty() {
            format!("\u{0}{}", it.path.display())
        } else {
            it.recording.clone()
        }
    };
    // Each recording's stratum is that of its first clip in sorted order.
    let mut stratum_of: BTreeMap<String, (Option<u16>, Role)> = BTreeMap::new();
    let mut sorted: Vec<&SoundItem> = items.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for it in sorted {
        stratum_of.entry(key(it)).or_insert((it.class_id, it.role));
    }
    let mut strata: BTreeMap<(Option<u16>, Role), Vec<&String>> = BTreeMap::new();
    for (rec, s) in &stratum_of {
        strata.entry(*s).or_default().push(rec);
    }
    let mut test_recs: BTreeSet<&String> = BTreeSet::new();
    for ((class, role), mut recs) in strata {
        let mut state = seed ^ (u64::from(class.unwrap_or(0)) << 8) ^ role as u64;
        for i in (1..recs.len()).rev() {
            let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
            recs.swap(i, j);
        }
        let n = recs.len();
        let mut k = (n as f32 * fraction).round() as usize;
        if n >= 2 && fraction > 0.0 && fraction < 1.0 {
            k = k.clamp(1, n - 1);
        }
        test_recs.extend(recs.into_iter().take(k));
    }
    items
        .iter()
        .cloned()
        .partition(|it| !test_recs.contains(&key(it)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, class: u16, rec: &str) -> SoundItem {
        SoundItem {
            path: path.into(),
            class_id: Some(class),
            role: Role::Class,
            recording: rec.into(),
            credit: String::new(),
            label: String::new(),
        }
    }

    #[test]
    fn split_is_deterministic_and_stratified() {
        let items: Vec<_> = (0..40)
            .map(|i| {
                item(
                    &format!("c{}/{i}.wav", i % 2),
                    1 + i % 2,
                    &format!("r{}_{}", i % 2, i / 4),
                )
            })
            .collect();
        let (tr, te) = split_by_recording(&items, 0.25, 3);
        assert_eq!(
            (tr.clone(), te.clone()),
            split_by_recording(&items, 0.25, 3)
        );
        assert_eq!(tr.len() + te.len(), 40);
        for c in [1, 2] {
            assert!(
                te.iter().any(|i| i.class_id == Some(c))
                    && tr.iter().any(|i| i.class_id == Some(c))
            );
        }
        assert_ne!(
            te,
            split_by_recording(&items, 0.25, 4).1,
            "the seed should matter"
        );
    }

    #[test]
    fn split_keeps_a_two_recording_class_on_both_sides() {
        let items = vec![
            item("a.wav", 5, "x"),
            item("b.wav", 5, "y"),
            item("c.wav", 5, "y"),
        ];
        let (tr, te) = split_by_recording(&items, 0.1, 0);
        assert!(!tr.is_empty() && !te.is_empty());
        let (tr, te) = split_by_recording(&items, 0.0, 0);
        assert_eq!((tr.len(), te.len()), (3, 0));
    }
}
