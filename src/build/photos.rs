//! Class photos (native only): a dataset's images per class -> the few most representative,
//! cropped to their label's box and made small -> a [`PhotoSet`] within a byte budget.
//!
//! The criterion, per class: up to [`PhotoOptions::candidates`] images are considered, taken in
//! turn from each sub-class (so a class with many photos of one sub-class is not judged by it
//! alone); each is decoded, cropped to its bounding box (the labelled object) and reduced to a
//! 4×4×4 colour histogram; the photos closest (L1) to the class's mean histogram are the most
//! typical of it, and the first [`PhotoOptions::per_class`] are kept, at most one per sub-class
//! while other sub-classes remain. Photos are square JPEG thumbnails; if all of them together
//! exceed [`PhotoOptions::budget`], the JPEG quality, then the size, is lowered until they fit.

use super::aihub::source;
use super::dataset::{Dataset, Problem};
use super::images;
use super::Progress;
use crate::index::photos::{ClassPhoto, PhotoSet};
use crate::index::ClassImage;
use image::{DynamicImage, RgbImage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How photos are chosen and sized.
#[derive(Debug, Clone)]
pub struct PhotoOptions {
    /// Photos kept per class. Default: `3`.
    pub per_class: usize,
    /// Images decoded per class to choose them. Default: `24`.
    pub candidates: usize,
    /// Side of the square thumbnails, in pixels (lowered if the budget needs it). Default: `224`.
    pub side: u32,
    /// Most bytes of image data in the photo file, all classes together. Default: 1.2 MB.
    pub budget: usize,
    /// Shown with the photos. Default: empty (the CLI names the dataset).
    pub credit: String,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        PhotoOptions {
            per_class: 3,
            candidates: 24,
            side: 224,
            budget: 1_200_000,
            credit: String::new(),
        }
    }
}

/// The images considered for a class: up to `n`, taken in turn from each sub-class (sorted).
fn candidates(data: &Dataset, class_id: u16, n: usize) -> Vec<PathBuf> {
    let mut groups: BTreeMap<&str, Vec<&PathBuf>> = BTreeMap::new();
    for p in data.images.get(&class_id).into_iter().flatten() {
        if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
            groups
                .entry(data.subclasses.get(p).map_or("", String::as_str))
                .or_default()
                .push(p);
        }
    }
    let mut out = Vec::new();
    let mut round = 0;
    while out.len() < n && groups.values().any(|g| g.len() > round) {
        out.extend(
            groups
                .values()
                .filter_map(|g| g.get(round))
                .map(|p| (*p).clone()),
        );
        round += 1;
    }
    out.truncate(n);
    out
}

/// Decodes an image of the dataset (a file or an archive member) and crops it to `crop`.
pub fn load(path: &Path, crop: Option<[u32; 4]>) -> Result<DynamicImage, String> {
    let bytes = source::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let img = images::decode(&bytes)?;
    Ok(match crop {
        Some([x, y, w, h]) if x < img.width() && y < img.height() => {
            img.crop_imm(x, y, w.min(img.width() - x), h.min(img.height() - y))
        }
        _ => img,
    })
}

/// A class's candidates ranked by the criterion above, as `(path, square thumbnail of side `side`)`,
/// most representative first; undecodable candidates become problems.
fn ranked(
    data: &Dataset,
    class_id: u16,
    opts: &PhotoOptions,
    side: u32,
) -> (Vec<(PathBuf, RgbImage)>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut ok: Vec<(PathBuf, RgbImage, [f32; 64])> = Vec::new();
    for path in candidates(data, class_id, opts.candidates) {
        match load(&path, data.crops.get(&path).copied()) {
            Ok(img) => {
                let h = images::histogram(&img);
                ok.push((path, images::thumbnail(&img, side), h));
            }
            Err(e) => problems.push(Problem {
                path,
                class_id: Some(class_id),
                what: "undecodable image".into(),
                detail: e,
                skipped: true,
            }),
        }
    }
    let mut mean = [0f32; 64];
    for (_, _, h) in &ok {
        mean.iter_mut()
            .zip(h)
            .for_each(|(m, x)| *m += x / ok.len() as f32);
    }
    let dist = |h: &[f32; 64]| h.iter().zip(&mean).map(|(a, b)| (a - b).abs()).sum::<f32>();
    ok.sort_by(|a, b| {
        dist(&a.2)
            .total_cmp(&dist(&b.2))
            .then_with(|| a.0.cmp(&b.0))
    });
    (ok.into_iter().map(|(p, t, _)| (p, t)).collect(), problems)
}

/// The `n` to keep from a ranking: in rank order, at most one per sub-class while others remain.
fn pick(data: &Dataset, ranked: Vec<(PathBuf, RgbImage)>, n: usize) -> Vec<(PathBuf, RgbImage)> {
    let mut taken = std::collections::BTreeSet::new();
    let (mut first, mut rest) = (Vec::new(), Vec::new());
    for item in ranked {
        if taken.insert(data.subclasses.get(&item.0).cloned().unwrap_or_default()) {
            first.push(item);
        } else {
            rest.push(item);
        }
    }
    first.extend(rest);
    first.truncate(n);
    first
}

/// The index's own image of a class taken from its photos (when no icon is given): the most
/// representative one, as a [`images::THUMB_SIZE`] JPEG like any raster class image.
pub fn index_image(data: &Dataset, class_id: u16) -> Option<ClassImage> {
    let opts = PhotoOptions::default();
    let (best, _) = ranked(data, class_id, &opts, images::THUMB_SIZE);
    let (_, thumb) = best.into_iter().next()?;
    Some(ClassImage {
        mime: "image/jpeg".into(),
        bytes: images::encode_jpeg(&thumb, images::JPEG_QUALITY).ok()?,
        credit: String::new(),
    })
}

/// Chooses and encodes the photos of every class with raster images. Returns them with the
/// problems met (undecodable candidates).
pub fn choose(data: &Dataset, opts: &PhotoOptions, progress: Progress) -> (PhotoSet, Vec<Problem>) {
    let classes: Vec<u16> = data
        .images
        .keys()
        .copied()
        .filter(|&c| !candidates(data, c, 1).is_empty())
        .collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(1);
    // Per class: the photos kept (path, thumbnail) and the problems met.
    type Picked = (u16, Vec<(PathBuf, RgbImage)>, Vec<Problem>);
    let mut picked: Vec<Picked> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    while let Some(&c) = classes.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (r, problems) = ranked(data, c, opts, opts.side);
                        out.push((c, pick(data, r, opts.per_class), problems));
                        progress(
                            "choosing photos",
                            done.fetch_add(1, Ordering::Relaxed) as u64 + 1,
                            classes.len() as u64,
                        );
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("photo worker"))
            .collect()
    });
    picked.sort_by_key(|(c, _, _)| *c);
    let taxonomy = crate::taxonomy::classes();
    let encode_all = |side: u32, quality: u8| -> Vec<ClassPhoto> {
        let mut out = Vec::new();
        for (c, photos, _) in &picked {
            for (path, thumb) in photos {
                let img = if side == thumb.width() {
                    thumb.clone()
                } else {
                    images::thumbnail(&DynamicImage::ImageRgb8(thumb.clone()), side)
                };
                out.push(ClassPhoto {
                    slug: taxonomy[usize::from(*c) - 1].slug.clone(),
                    caption: data.subclasses.get(path).cloned().unwrap_or_default(),
                    mime: "image/jpeg".into(),
                    bytes: images::encode_jpeg(&img, quality).unwrap_or_default(),
                });
            }
        }
        out
    };
    let (mut side, mut quality) = (opts.side, 80u8);
    let mut photos = encode_all(side, quality);
    while photos.iter().map(|p| p.bytes.len()).sum::<usize>() > opts.budget && side >= 48 {
        if quality > 50 {
            quality -= 10;
        } else {
            side = side * 4 / 5;
        }
        photos = encode_all(side, quality);
    }
    let problems = picked.into_iter().flat_map(|(_, _, p)| p).collect();
    (
        PhotoSet {
            credit: opts.credit.clone(),
            photos,
        },
        problems,
    )
}
