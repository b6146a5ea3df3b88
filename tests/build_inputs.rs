//! The build-side inputs of an index: SVG sanitising, raster thumbnails, representative
//! images, dataset discovery and the leak-free train/test split.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use sori::build::dataset::{discover, split_by_recording, Role, SoundItem};
use sori::build::images::{load_class_image, pick_representative, sanitize_svg, THUMB_SIZE};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

// ---- images ----

#[test]
fn svg_sanitiser_strips_or_rejects_each_attack() {
    let wrap = |inner: &str| {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">{inner}</svg>"#)
    };
    let clean = |inner: &str| sanitize_svg(&wrap(inner)).unwrap();
    let out = clean(r#"<script>alert(1)</script><rect width="1" height="1"/>"#);
    assert!(
        !out.contains("script") && !out.contains("alert") && out.contains("<rect"),
        "{out}"
    );
    let out = clean(r#"<svg:script xmlns:svg="http://www.w3.org/2000/svg">x()</svg:script>"#);
    assert!(!out.contains("script"), "{out}");
    let out = clean(r#"<rect onclick="evil()" ONLOAD="evil()" onmouseover='x' width="2"/>"#);
    assert!(
        !out.to_lowercase().contains("on") || !out.contains("evil"),
        "{out}"
    );
    assert!(
        !out.contains("evil") && out.contains(r#"width="2""#),
        "{out}"
    );
    let out = clean(
        r#"<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><img src="x"/></body></foreignObject>"#,
    );
    assert!(
        !out.contains("foreignObject") && !out.contains("img"),
        "{out}"
    );
    let out = clean(
        r##"<a href="https://evil.example"><rect/></a><use href="#ok"/><use xlink:href="other.svg#x"/>"##,
    );
    assert!(
        !out.contains("evil") && !out.contains("other.svg") && out.contains(r##"href="#ok""##),
        "{out}"
    );
    let out = clean(
        r#"<linearGradient xlink:href="javascript:alert(1)"/><image href="http://x/y.png"/>"#,
    );
    assert!(
        !out.contains("javascript") && !out.contains("http://x"),
        "{out}"
    );
    let out = clean(
        r##"<rect fill="url(https://evil.example/a#b)"/><rect fill="url(#grad)"/><rect style="fill:url( 'http://e' )"/>"##,
    );
    assert!(
        !out.contains("evil") && !out.contains("http://e") && out.contains("url(#grad)"),
        "{out}"
    );
    let out = clean(r#"<rect fill="u&#114;l(http://hidden)"/>"#);
    assert!(
        !out.contains("hidden"),
        "entity-encoded url( must be caught: {out}"
    );
    assert!(sanitize_svg(&wrap(r#"<style>rect{fill:url(http://e/x)}</style>"#)).is_err());
    assert!(sanitize_svg(&wrap(r#"<style>@import "http://e/x.css";</style>"#)).is_err());
    let ent = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#;
    assert!(sanitize_svg(ent).unwrap_err().contains("DOCTYPE"));
    assert!(sanitize_svg(r#"<!ENTITY x "y"><svg/>"#).is_err());
    assert!(sanitize_svg("<html><svg/></html>").is_err());
    assert!(sanitize_svg(&wrap("<g>")).is_err(), "unbalanced markup");
    let out = sanitize_svg("<!-- c --><svg viewBox=\"0 0 1 1\">\n   <g>\n\t<path d=\"M0   0\n L1 1\"/>\n </g>\n</svg>\n").unwrap();
    assert_eq!(
        out,
        r#"<svg viewBox="0 0 1 1" xmlns="http://www.w3.org/2000/svg"><g><path d="M0 0 L1 1"/></g></svg>"#
    );
}

#[test]
fn shared_svg_images_pass_the_sanitiser_unchanged_in_content() {
    let dir = Path::new(ROOT).join("../shared/images");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let (mut n, mut before, mut after) = (0, 0, 0);
    for e in rd
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "svg"))
    {
        let src = std::fs::read_to_string(e.path()).unwrap();
        let img = load_class_image(&e.path()).unwrap();
        assert_eq!(img.mime, "image/svg+xml");
        let out = String::from_utf8(img.bytes).unwrap();
        let count = |s: &str| s.matches('<').count();
        assert_eq!(
            count(&out),
            count(&src),
            "{}: elements were dropped",
            e.path().display()
        );
        assert_eq!(sanitize_svg(&out).unwrap(), out, "sanitising is idempotent");
        (n, before, after) = (n + 1, before + src.len(), after + out.len());
    }
    eprintln!("{n} shared SVGs: {before} -> {after} bytes after sanitising");
    assert!(n > 0);
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sori-h3-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn raster_images_become_square_jpeg_thumbnails() {
    let dir = temp_dir("raster");
    let img = image::RgbImage::from_fn(640, 360, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let png = dir.join("wide.png");
    img.save(&png).unwrap();
    let out = load_class_image(&png).unwrap();
    assert_eq!(out.mime, "image/jpeg");
    let back = image::load_from_memory(&out.bytes).unwrap();
    assert_eq!((back.width(), back.height()), (THUMB_SIZE, THUMB_SIZE));
    std::fs::write(dir.join("broken.jpg"), b"\xff\xd8 not really").unwrap();
    assert!(load_class_image(&dir.join("broken.jpg")).is_err());
    // Representative: three bluish images and one red outlier; the outlier ranks last.
    for (name, rgb) in [
        ("a", [10, 20, 200]),
        ("b", [12, 25, 190]),
        ("c", [250, 0, 0]),
        ("d", [8, 30, 210]),
    ] {
        image::RgbImage::from_pixel(40, 30, image::Rgb(rgb))
            .save(dir.join(format!("{name}.png")))
            .unwrap();
    }
    let paths: Vec<PathBuf> = ["d", "c", "b", "a"]
        .iter()
        .map(|n| dir.join(format!("{n}.png")))
        .collect();
    let picked = pick_representative(&paths, 4);
    assert_eq!(picked.len(), 4);
    assert_eq!(picked[3], dir.join("c.png"));
    assert_eq!(pick_representative(&paths, 1), picked[..1]);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- dataset discovery and split ----

#[test]
fn discovery_handles_slug_korean_and_id_folders_and_reports_unmatched() {
    let root = temp_dir("discover");
    let touch = |rel: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    };
    touch("sounds/pan_frying/b.wav");
    touch("sounds/pan_frying/a.wav");
    touch("sounds/전부치기/c.ogg"); // Korean name of pan_frying
    touch("sounds/12/d.flac"); // id 12 = car_idling
    touch("sounds/other/e.wav");
    touch("sounds/mystery_noises/f.wav");
    touch("sounds/pan_frying/notes.txt");
    touch("images/pan_frying/p1.jpg");
    touch("images/12/p2.png");
    let d = discover(&root).unwrap();
    let rel = |p: &Path| {
        p.strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let sounds: Vec<(String, Option<u16>, Role)> = d
        .sounds
        .iter()
        .map(|s| (rel(&s.path), s.class_id, s.role))
        .collect();
    assert_eq!(
        sounds,
        vec![
            ("sounds/12/d.flac".into(), Some(12), Role::Class),
            ("sounds/other/e.wav".into(), None, Role::Other),
            ("sounds/pan_frying/a.wav".into(), Some(8), Role::Class),
            ("sounds/pan_frying/b.wav".into(), Some(8), Role::Class),
            ("sounds/전부치기/c.ogg".into(), Some(8), Role::Class),
        ]
    );
    assert_eq!(
        d.images
            .get(&8)
            .map(|v| v.iter().map(|p| rel(p)).collect::<Vec<_>>()),
        Some(vec!["images/pan_frying/p1.jpg".into()])
    );
    assert_eq!(d.images.get(&12).map(Vec::len), Some(1));
    assert_eq!(d.unmatched, vec![root.join("sounds/mystery_noises")]);
    assert_eq!(discover(&root).unwrap(), d, "discovery is deterministic");
    // Flat layout: <root>/<class>/{*.wav,*.jpg}.
    let flat = temp_dir("flat");
    for f in ["boiling/x.wav", "boiling/x.jpg", "끓이기/y.wav"] {
        let p = flat.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }
    let d2 = discover(&flat).unwrap();
    let boiling = 3; // "끓이기" is boiling's Korean name
    assert_eq!(
        d2.sounds
            .iter()
            .filter(|s| s.class_id == Some(boiling))
            .count(),
        2
    );
    assert_eq!(d2.images.get(&boiling).map(Vec::len), Some(1));
    assert!(discover(&root.join("nope")).is_err());
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&flat);
}

fn assert_no_leak(train: &[SoundItem], test: &[SoundItem]) {
    let recs: std::collections::BTreeSet<&str> =
        train.iter().map(|s| s.recording.as_str()).collect();
    assert!(
        test.iter().all(|t| !recs.contains(t.recording.as_str())),
        "a recording is on both sides"
    );
}

#[test]
fn split_by_recording_never_leaks_on_the_corpus_manifest() {
    let corpus = Path::new(ROOT).join("../shared/corpus");
    if !corpus.join("manifest.tsv").exists() {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    }
    let d = discover(&corpus).unwrap();
    let rows = std::fs::read_to_string(corpus.join("manifest.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(d.sounds.len(), rows, "every manifest row is a sound");
    assert!(d.unmatched.is_empty(), "{:?}", d.unmatched);
    let mut recordings: std::collections::BTreeMap<u16, std::collections::BTreeSet<&str>> =
        Default::default();
    for s in d.sounds.iter().filter(|s| s.role == Role::Class) {
        recordings
            .entry(s.class_id.unwrap())
            .or_default()
            .insert(&s.recording);
    }
    for seed in 0..5 {
        let (train, test) = split_by_recording(&d.sounds, 0.2, seed);
        assert_eq!(train.len() + test.len(), d.sounds.len());
        assert_no_leak(&train, &test);
        for (&c, recs) in &recordings {
            let on = |side: &[SoundItem]| {
                side.iter()
                    .any(|s| s.class_id == Some(c) && s.role == Role::Class)
            };
            // A class with one recording is always learned; one with two or more is on both sides.
            assert!(on(&train), "class {c} missing from train");
            assert_eq!(
                on(&test),
                recs.len() >= 2,
                "class {c} ({} recordings) in test",
                recs.len()
            );
        }
        let frac = test.len() as f32 / d.sounds.len() as f32;
        assert!((0.1..0.3).contains(&frac), "test fraction {frac}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn split_by_recording_never_leaks(recs in proptest::collection::vec((0u16..5, 0u32..30, 1usize..4), 1..60), frac in 0.0f32..1.0, seed in any::<u64>()) {
        let items: Vec<SoundItem> = recs.iter().enumerate().flat_map(|(i, &(class, rec, clips))| {
            (0..clips).map(move |j| SoundItem {
                path: format!("{i}-{j}.wav").into(),
                class_id: (class > 0).then_some(class),
                role: if class > 0 { Role::Class } else { Role::Other },
                recording: format!("r{rec}"),
                credit: String::new(),
                label: String::new(),
            })
        }).collect();
        let (train, test) = split_by_recording(&items, frac, seed);
        prop_assert_eq!(train.len() + test.len(), items.len());
        assert_no_leak(&train, &test);
        prop_assert_eq!((train.clone(), test.clone()), split_by_recording(&items, frac, seed));
    }
}

/// Measurement, not a check: thumbnail bytes per encoding and size for the photos in
/// `$SORI_PHOTOS` (any JPEG/PNG/WebP files). Run with
/// `SORI_PHOTOS=dir cargo test --test index_format -- --ignored --nocapture thumbnail_sizes`.
#[test]
#[ignore]
fn thumbnail_sizes() {
    use sori::build::images::{decode, encode_jpeg, encode_png, encode_webp_lossless, thumbnail};
    let Some(dir) = std::env::var_os("SORI_PHOTOS") else {
        eprintln!("skipped: set SORI_PHOTOS to a folder of photos");
        return;
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    for p in paths {
        let Ok(img) = std::fs::read(&p)
            .map_err(|e| e.to_string())
            .and_then(|b| decode(&b))
        else {
            continue;
        };
        for size in [256, 384] {
            let t = thumbnail(&img, size);
            let jpeg = |q| encode_jpeg(&t, q).unwrap().len();
            eprintln!(
                "{:<28} {size}px  png {:>7}  webp-lossless {:>7}  jpeg q80 {:>6}  q85 {:>6}  q90 {:>6}",
                p.file_name().unwrap().to_string_lossy(),
                encode_png(&t).unwrap().len(),
                encode_webp_lossless(&t).unwrap().len(),
                jpeg(80),
                jpeg(85),
                jpeg(90)
            );
        }
    }
}
