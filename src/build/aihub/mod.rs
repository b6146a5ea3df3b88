//! The hackathon dataset as AI-Hub distributes it (dataset 71602, "이미지 사운드 매칭 데이터"),
//! read as it comes: a folder -> a [`Dataset`].
//!
//! ```text
//! source::list (folders + zip members, NFC names) -> sounds | images | label JSONs | other
//! label::parse (UTF-8 / CP949, loose schema)      -> depth1/2/3, file name, recording, boxes
//! pair each sound or image with its label         -> class (depth2, else folder names), sub-class, recording
//! checks (WAV length, image header and end)       -> fingerprint, size, or the reason to skip
//! duplicates, dataset split by recording           -> Dataset { sounds, images, validation, crops, problems }
//! ```
//!
//! What is known of the layout, and how each part is read:
//! * category / class / sub-class folders (`요리/끓이기/국 끓이기/…`), numbered or not;
//! * sounds and images in separate trees, each with a label JSON beside it or in a parallel label
//!   tree (`원천데이터` / `라벨링데이터`, `Training` / `Validation`, archives `TS_…`/`TL_…`/`VS_…`/`VL_…`):
//!   a file's label is the JSON with the same stem (or naming it in a `file_name`-like field); when
//!   several qualify, the one whose folders match most closely, in the same split;
//! * the class is the label's `info.class.depth2`, else a folder or archive name, else the file is
//!   reported; the sub-class is `depth3`, else the folder below the class folder; unlabelled sounds
//!   in a folder named `other` are none of the classes (they teach the index to answer `unknown`);
//! * the recording a clip was cut from is a label field ([`label::RECORDING_KEYS`]), else the file
//!   name when it ends in two numbers or a clip marker (`R0123_04`, `rec7_clip2`), else the file;
//! * `Training` / `TS_` and `Validation` / `VS_` in a path set the split; a recording found on both
//!   sides is moved whole to the side holding most of its clips (ties: training), and reported.

pub mod checks;
pub mod label;
pub mod names;
pub mod paths;
pub mod source;
pub mod synth;

use super::dataset::{
    Dataset, FileCounts, Problem, Role, SoundItem, IMAGE_EXTENSIONS, SOUND_EXTENSIONS,
};
use super::Progress;
use names::{ClassNames, How};
use paths::{archive_stem, folder_keys, recording_from_name, split_of, stem_key, Split};
use source::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// True when `root` holds label JSONs or zip archives (the layout this module reads).
pub fn looks_like(root: &Path) -> bool {
    fn any(dir: &Path, depth: usize) -> bool {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return false;
        };
        let mut dirs = Vec::new();
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| x.eq_ignore_ascii_case("json") || x.eq_ignore_ascii_case("zip"))
            {
                return true;
            }
        }
        depth < 12 && dirs.iter().any(|d| any(d, depth + 1))
    }
    any(root, 0)
}

/// Runs `f` over `items` on all cores in contiguous chunks (archive reads stay local), reporting progress.
fn par_map<T: Sync, R: Send>(
    items: &[T],
    stage: &str,
    progress: Progress,
    f: &(dyn Fn(&T) -> R + Sync),
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    let done = AtomicUsize::new(0);
    let total = items.len() as u64;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| {
                let done = &done;
                s.spawn(move || {
                    c.iter()
                        .map(|it| {
                            let r = f(it);
                            progress(
                                stage,
                                done.fetch_add(1, Ordering::Relaxed) as u64 + 1,
                                total,
                            );
                            r
                        })
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("reader thread"))
            .collect()
    })
}

struct Parsed {
    label: Result<label::Label, String>,
}

/// Reads the dataset under `root`.
pub fn read(root: &Path, progress: Progress) -> Result<Dataset, String> {
    let classes = crate::taxonomy::classes();
    let matcher = ClassNames::new(&classes);
    let listing = source::list(root);
    let mut d = Dataset::default();
    for (path, reason) in listing.problems {
        d.problems.push(problem(
            path,
            None,
            "unreadable archive or folder",
            reason,
            true,
        ));
    }
    let mut files = FileCounts {
        metadata: listing.skipped_metadata,
        ..Default::default()
    };
    let (mut sounds, mut images, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for e in listing.entries {
        let ext = e.extension();
        if ext == "json" {
            labels.push(e);
        } else if SOUND_EXTENSIONS.contains(&ext.as_str()) {
            sounds.push(e);
        } else if IMAGE_EXTENSIONS.contains(&ext.as_str()) && ext != "svg" {
            images.push(e);
        } else {
            files.other += 1;
        }
    }
    files.sounds = sounds.len();
    files.images = images.len();
    files.labels = labels.len();

    let parsed: Vec<Parsed> = par_map(&labels, "reading labels", progress, &|e: &Entry| Parsed {
        label: source::read(&e.path)
            .map_err(|err| format!("cannot read it: {err}"))
            .and_then(|b| label::parse(&b)),
    });
    let mut by_stem: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (e, p)) in labels.iter().zip(&parsed).enumerate() {
        by_stem.entry(stem_key(e.name())).or_default().push(i);
        if let Ok(l) = &p.label {
            if let Some(f) = &l.file_name {
                let k = stem_key(f);
                if k != stem_key(e.name()) {
                    by_stem.entry(k).or_default().push(i);
                }
            }
        }
    }
    let mut label_used = vec![false; labels.len()];

    let checked_sounds = par_map(&sounds, "checking sounds", progress, &checks::sound);
    let checked_images = par_map(&images, "checking images", progress, &checks::image);

    let mut notes: BTreeMap<(String, u16, How), (usize, PathBuf)> = BTreeMap::new();
    let mut seen: HashMap<u64, PathBuf> = HashMap::new();
    let mut sound_split: Vec<(usize, Option<Split>)> = Vec::new();
    let media = sounds
        .iter()
        .zip(checked_sounds)
        .map(|(e, c)| (e, c, true))
        .chain(
            images
                .iter()
                .zip(checked_images)
                .map(|(e, c)| (e, c, false)),
        );
    for (e, checked, is_sound) in media {
        // The label: same stem (or named in the label), closest folders, same split.
        let media_split = split_of(&e.rel);
        let media_dirs = folder_keys(&e.rel);
        let mut best: Vec<(usize, usize)> = Vec::new();
        for &i in by_stem
            .get(&stem_key(e.name()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            if let Ok(l) = &parsed[i].label {
                if l.file_name
                    .as_ref()
                    .is_some_and(|f| stem_key(f) != stem_key(e.name()))
                {
                    continue;
                }
            }
            let ls = split_of(&labels[i].rel);
            if media_split.is_some() && ls.is_some() && ls != media_split {
                continue;
            }
            let ld = folder_keys(&labels[i].rel);
            let common = media_dirs
                .iter()
                .rev()
                .zip(ld.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            best.push((common, i));
        }
        best.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let label_idx = match best.as_slice() {
            [] => None,
            [(c0, i), (c1, _), ..] if c0 == c1 => {
                d.problems.push(problem(
                    e.path.clone(),
                    None,
                    "ambiguous label",
                    format!(
                        "several label files fit equally well, e.g. {} (using it)",
                        labels[*i].rel
                    ),
                    false,
                ));
                Some(*i)
            }
            [(_, i), ..] => Some(*i),
        };
        let label = label_idx.map(|i| {
            label_used[i] = true;
            (i, &parsed[i].label)
        });
        let label = label.and_then(|(_, l)| l.as_ref().ok());

        // The class: depth2, else folder (or archive) names, else depth3.
        let depth2 = label.and_then(|l| l.depth[1].clone());
        let from_label = depth2
            .as_deref()
            .and_then(|n| matcher.find(n).map(|(id, how)| (id, how, n.to_string())));
        let dirs: Vec<&str> = e.rel.split('/').collect();
        let dirs = &dirs[..dirs.len() - 1];
        let from_folder = dirs.iter().enumerate().rev().find_map(|(k, comp)| {
            let c = archive_stem(comp);
            if c.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let parts: Vec<&str> = std::iter::once(c)
                .chain(c.split(['_', '.']))
                .filter(|p| !p.bytes().all(|b| b.is_ascii_digit()))
                .collect();
            parts
                .iter()
                .find_map(|p| matcher.find(p))
                .map(|(id, how)| (id, how, comp.to_string(), k))
        });
        let from_depth3 = label
            .and_then(|l| l.depth[2].as_deref())
            .and_then(|n| matcher.find(n).map(|(id, how)| (id, how, n.to_string())));
        let label_matched = from_label.is_some();
        let (class_id, how, name) = match (from_label, &from_folder, from_depth3) {
            (Some(c), _, _) => c,
            (None, Some((id, how, n, _)), _) => (*id, *how, n.clone()),
            (None, None, Some(c)) => c,
            (None, None, None)
                if is_sound
                    && label.is_none()
                    && dirs.iter().any(|d| *d == "other" || *d == "_other") =>
            {
                // None of the classes (e.g. the corpus's `other` clips copied in): teaches "unknown".
                let recording = e
                    .rel
                    .rsplit_once('.')
                    .map_or(e.rel.clone(), |(s, _)| s.to_string());
                match checked {
                    Ok(_) => {
                        sound_split.push((d.sounds.len(), media_split));
                        // The folder it is in names its other group (see `build::train`).
                        let label = dirs.last().map_or_else(String::new, |d| d.to_string());
                        d.sounds.push(SoundItem {
                            path: e.path.clone(),
                            class_id: None,
                            role: Role::Other,
                            recording,
                            credit: String::new(),
                            label,
                        });
                    }
                    Err(reason) => d.problems.push(problem(
                        e.path.clone(),
                        None,
                        "unreadable sound",
                        reason,
                        true,
                    )),
                }
                continue;
            }
            (None, None, None) => {
                let (what, detail) = match (&depth2, label) {
                    (Some(n), _) => (
                        "class not among the 76",
                        format!(
                            "the label's class {n:?} is none of the 76 (and no folder names one)"
                        ),
                    ),
                    (None, Some(_)) => (
                        "label names no class",
                        "the label has no info.class.depth2 and no folder names a class".into(),
                    ),
                    (None, None) => (
                        "no label and no class folder",
                        "no label file found for it and no folder names a class".into(),
                    ),
                };
                d.problems
                    .push(problem(e.path.clone(), None, what, detail, true));
                continue;
            }
        };
        if how != How::Exact {
            notes
                .entry((name.clone(), class_id, how))
                .or_insert((0, e.path.clone()))
                .0 += 1;
        }
        if let Some(n) = depth2.as_deref().filter(|_| !label_matched) {
            d.problems.push(problem(
                e.path.clone(),
                Some(class_id),
                "label class read from folder",
                format!("the label's class {n:?} is none of the 76; the folder {name:?} names one"),
                false,
            ));
        }

        let checked = match checked {
            Ok(c) => c,
            Err(reason) => {
                let what = if reason.starts_with("truncated") {
                    "truncated"
                } else if is_sound {
                    "unreadable sound"
                } else {
                    "undecodable image"
                };
                d.problems
                    .push(problem(e.path.clone(), Some(class_id), what, reason, true));
                continue;
            }
        };
        if let Some(first) = seen.get(&checked.fingerprint) {
            d.problems.push(problem(
                e.path.clone(),
                Some(class_id),
                "duplicate",
                format!("same content as {}", first.display()),
                true,
            ));
            continue;
        }
        seen.insert(checked.fingerprint, e.path.clone());

        let subclass = label.and_then(|l| l.depth[2].clone()).or_else(|| {
            let (_, _, _, k) = from_folder.as_ref()?;
            (k + 1 < dirs.len()).then(|| dirs[k + 1].to_string())
        });
        if let Some(s) = subclass {
            d.subclasses
                .insert(e.path.clone(), names::strip_ordinal(&s).to_string());
        }
        if is_sound {
            let stem = e.name().rsplit_once('.').map_or(e.name(), |(s, _)| s);
            let recording = label
                .and_then(|l| l.recording.clone())
                .or_else(|| {
                    recording_from_name(stem).map(|r| {
                        format!("{}/{r}", e.rel.rsplit_once('/').map_or("", |(dir, _)| dir))
                    })
                })
                .unwrap_or_else(|| {
                    e.rel
                        .rsplit_once('.')
                        .map_or(e.rel.clone(), |(s, _)| s.to_string())
                });
            sound_split.push((d.sounds.len(), media_split));
            d.sounds.push(SoundItem {
                path: e.path.clone(),
                class_id: Some(class_id),
                role: Role::Class,
                recording,
                credit: String::new(),
                label: String::new(),
            });
        } else {
            if let (Some(l), Some((w, h))) = (label, checked.dims) {
                if let Some(b) = l
                    .boxes
                    .iter()
                    .max_by(|a, b| (a.w * a.h).total_cmp(&(b.w * b.h)))
                {
                    match crop_rect(b, w, h) {
                        Ok((rect, None)) => {
                            d.crops.insert(e.path.clone(), rect);
                        }
                        Ok((rect, Some(note))) => {
                            d.crops.insert(e.path.clone(), rect);
                            d.problems.push(problem(
                                e.path.clone(),
                                Some(class_id),
                                "box outside the image",
                                note,
                                false,
                            ));
                        }
                        Err(note) => d.problems.push(problem(
                            e.path.clone(),
                            Some(class_id),
                            "box outside the image",
                            note,
                            false,
                        )),
                    }
                }
            }
            d.images.entry(class_id).or_default().push(e.path.clone());
        }
    }
    for ((name, id, how), (n, first)) in notes {
        let slug = &classes[usize::from(id) - 1].slug;
        d.problems.push(problem(
            first,
            Some(id),
            "class name read loosely",
            format!(
                "{name:?} read as {slug} ({how:?} match), for this and {} more files",
                n - 1
            ),
            false,
        ));
    }
    for (i, used) in label_used.iter().enumerate() {
        files.labels_unpaired += usize::from(!used);
        if let Err(reason) = &parsed[i].label {
            d.problems.push(problem(
                labels[i].path.clone(),
                None,
                "unparsable label",
                reason.clone(),
                true,
            ));
        }
    }
    keep_recordings_whole(&mut d, &sound_split);
    d.files = files;
    d.sounds.sort_by(|a, b| a.path.cmp(&b.path));
    for s in &d.sounds {
        d.licences.insert(
            s.path.clone(),
            crate::build::licence::DATASET_TERMS.to_string(),
        );
    }
    d.images.values_mut().for_each(|v| v.sort());
    d.problems.sort();
    Ok(d)
}

fn problem(
    path: PathBuf,
    class_id: Option<u16>,
    what: &str,
    detail: String,
    skipped: bool,
) -> Problem {
    Problem {
        path,
        class_id,
        what: what.to_string(),
        detail,
        skipped,
    }
}

/// The crop of box `b` on a `w` × `h` image: the rectangle (clipped to the image, with a note when
/// it had to be), or why the box cannot be used.
fn crop_rect(b: &label::BoundingBox, w: u32, h: u32) -> Result<([u32; 4], Option<String>), String> {
    let desc = format!(
        "box x {} y {} w {} h {} on a {w}x{h} image",
        b.x, b.y, b.w, b.h
    );
    if b.w <= 0.0 || b.h <= 0.0 {
        return Err(format!("{desc}: empty box, photo used uncropped"));
    }
    let (x0, y0) = (b.x.max(0.0), b.y.max(0.0));
    let (x1, y1) = ((b.x + b.w).min(f64::from(w)), (b.y + b.h).min(f64::from(h)));
    if x1 - x0 < 8.0 || y1 - y0 < 8.0 {
        return Err(format!("{desc}: outside the image, photo used uncropped"));
    }
    let rect = [x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32];
    let clipped = b.x < -1.0
        || b.y < -1.0
        || b.x + b.w > f64::from(w) + 1.0
        || b.y + b.h > f64::from(h) + 1.0;
    Ok((
        rect,
        clipped.then(|| format!("{desc}: runs past the edge, clipped")),
    ))
}

/// Puts each recording on one side of the dataset's split (the side with most of its clips;
/// ties go to training) and fills [`Dataset::validation`]. Without any `Validation` sound the
/// dataset declares no split and `validation` stays empty.
fn keep_recordings_whole(d: &mut Dataset, sound_split: &[(usize, Option<Split>)]) {
    if !sound_split
        .iter()
        .any(|(_, s)| *s == Some(Split::Validation))
    {
        return;
    }
    let mut votes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for &(i, s) in sound_split {
        let v = votes.entry(d.sounds[i].recording.as_str()).or_default();
        if s == Some(Split::Validation) {
            v.1 += 1
        } else {
            v.0 += 1
        }
    }
    let mut moved = Vec::new();
    let mut validation = BTreeSet::new();
    for &(i, s) in sound_split {
        let item = &d.sounds[i];
        let (t, v) = votes[item.recording.as_str()];
        let to_validation = v > t;
        if to_validation {
            validation.insert(item.path.clone());
        }
        if to_validation != (s == Some(Split::Validation)) {
            let (from, to) = if to_validation {
                ("training", "validation")
            } else {
                ("validation", "training")
            };
            moved.push(problem(item.path.clone(), item.class_id, "recording kept on one side of the split",
                format!("recording {:?} has {t} training and {v} validation clips: this {from} clip moves to {to}", item.recording), false));
        }
    }
    d.validation = validation;
    d.problems.extend(moved);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_are_clipped_or_refused() {
        let b = |x, y, w, h| label::BoundingBox { x, y, w, h };
        assert_eq!(
            crop_rect(&b(10.0, 20.0, 30.0, 40.0), 100, 100),
            Ok(([10, 20, 30, 40], None))
        );
        assert!(crop_rect(&b(90.0, 90.0, 30.0, 30.0), 100, 100)
            .unwrap()
            .1
            .is_some());
        assert!(crop_rect(&b(200.0, 0.0, 30.0, 30.0), 100, 100).is_err());
        assert!(crop_rect(&b(0.0, 0.0, 0.0, 30.0), 100, 100).is_err());
    }
}
