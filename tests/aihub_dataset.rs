//! `sori build` on the hackathon dataset's own layout (issue 15), end to end on a small fixture
//! generated here from corpus clips and class icons: zip archives and folders, `Training` /
//! `Validation`, label JSONs in UTF-8 and CP949, NFD names, bounding boxes; plus a broken JSON, a
//! truncated WAV, a damaged zip member, an unknown class, an undecodable image, a duplicate and a
//! box outside its image. The build must go on, report each, match sounds to their classes, crop
//! photos by their boxes, and answer a held-out clip correctly.
#![cfg(not(target_arch = "wasm32"))]

use sori::build::aihub::synth::{self, SynthOptions};
use sori::build::dataset::discover;
use sori::index::photos::PhotoSet;
use sori::index::{Index, SubClass};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use unicode_normalization::UnicodeNormalization;

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("corpus/manifest.tsv").exists() && p.join("images").is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: ../shared is absent");
        None
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The first entry of a folder, by name.
fn first_in(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap()
}

fn label(depth2: &str, file: &str, bbox: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"info": {"class": {"depth1": "교통", "depth2": depth2, "depth3": "기타"}, "file_name": file}, "annotations": [{"bbox": bbox}]})).unwrap()
}

/// Writes the fixture and the broken files; returns the dataset root and the synth report.
fn fixture(shared: &Path, dir: &Path) -> synth::SynthReport {
    let opts = SynthOptions {
        classes: vec![
            (15, "warning_signal".into()),
            (28, "blender".into()),
            (55, "pendulum_clock".into()),
        ],
        clips_per_class: vec![15, 15, 15],
        photos_per_clip: 1,
        distinct_photos: 2,
        photo_sizes: vec![(640, 480), (480, 640)],
        durations: vec![(3.0, 5.0, 1.0)],
        validation_every: 5,
        seed: 15,
    };
    let report = synth::write(
        &shared.join("corpus"),
        &shared.join("images"),
        dir,
        &opts,
        &|_, _, _| {},
    )
    .unwrap();
    let root = &report.root;
    let train = root.join("1.Training");
    // A label that is not JSON, for a photo that is fine (its folder still names the class).
    let photo_labels = train.join("라벨링데이터/TL_2.이미지/2.교통/경고음");
    let some_label = first_in(&first_in(&photo_labels));
    write(&some_label, b"{\"info\": {\"class\": ");
    // A truncated WAV, with its label, in a folder of the training tree (NFD names, CP949 label).
    let extra = train.join("원천데이터/TS_1.사운드_추가/2.교통/경고음/기타");
    let wav = synth::wav_bytes(16_000, 1, &vec![0.1; 32_000]);
    write(&extra.join("S15_0900_00.wav"), &wav[..8_000]);
    let extra_labels = train.join("라벨링데이터/TL_1.사운드_추가/2.교통/경고음/기타");
    let cp949 = encoding_rs::EUC_KR
        .encode(
            std::str::from_utf8(&label("경고음", "S15_0900_00.wav", serde_json::json!({})))
                .unwrap(),
        )
        .0
        .into_owned();
    write(&extra_labels.join("S15_0900_00.json"), &cp949);
    // A sound of a class that is not among the 76, in a folder that names none.
    let odd: String = "원천데이터/TS_1.사운드_추가/9.동물/고양이/기타"
        .nfd()
        .collect();
    write(&train.join(odd).join("S99_0000_00.wav"), &wav);
    write(
        &extra_labels.join("../../../9.동물/고양이/기타/S99_0000_00.json"),
        &label("고양이 울음", "S99_0000_00.wav", serde_json::json!({})),
    );
    // A zip whose member's data is damaged (CRC mismatch).
    let zpath = train.join("원천데이터/TS_9.손상.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("2.교통/경고음/기타/S15_0901_00.wav", o)
            .unwrap();
        z.write_all(&wav).unwrap();
        z.finish().unwrap();
    }
    let mut zb = std::fs::read(&zpath).unwrap();
    zb[200] ^= 0x55;
    std::fs::write(&zpath, zb).unwrap();
    write(
        &extra_labels.join("S15_0901_00.json"),
        &label("경고음", "S15_0901_00.wav", serde_json::json!({})),
    );
    // An image that does not decode, a duplicate photo, a box outside its image.
    let photos = train.join("원천데이터/TS_2.이미지/2.교통/경고음/기타");
    let plabels = train.join("라벨링데이터/TL_2.이미지/2.교통/경고음/기타");
    write(
        &photos.join("I15_0800_00_00.jpg"),
        b"\xff\xd8\xff\xe0 this is not a photo",
    );
    write(
        &plabels.join("I15_0800_00_00.json"),
        &label("경고음", "I15_0800_00_00.jpg", serde_json::json!({})),
    );
    // The first photo of the class (its first sub-class folder sorts before 기타).
    let first = first_in(&first_in(
        &train.join("원천데이터/TS_2.이미지/2.교통/경고음"),
    ));
    write(
        &photos.join("I15_0801_00_00.jpg"),
        &std::fs::read(&first).unwrap(),
    );
    write(
        &plabels.join("I15_0801_00_00.json"),
        &label("경고음", "I15_0801_00_00.jpg", serde_json::json!({})),
    );
    let img = synth::render_photo(320, 240, &[[200, 0, 0]], [0, 0, 100, 100], 1);
    write(
        &photos.join("I15_0802_00_00.jpg"),
        &sori::build::images::encode_jpeg(&img, 80).unwrap(),
    );
    write(
        &plabels.join("I15_0802_00_00.json"),
        &label(
            "경고음",
            "I15_0802_00_00.jpg",
            serde_json::json!({"bndex_xcrdnt": 900, "bndex_ycrdnt": 10, "bndex_width": 50, "bndex_hg": 50}),
        ),
    );
    report
}

#[test]
fn hackathon_layout_builds_reports_bad_files_and_answers_held_out_clips() {
    let Some(shared) = shared() else { return };
    let started = std::time::Instant::now();
    let dir = std::env::temp_dir().join(format!("sori-aihub-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let report = fixture(&shared, &dir);
    let root = report.root.clone();

    // Discovery: classes from depth2 (spacing, CP949, NFD, the 믹서기 wording), the split, boxes.
    let data = discover(&root).unwrap();
    let per_class = |c: u16| data.sounds.iter().filter(|s| s.class_id == Some(c)).count();
    assert!(
        [15, 28, 55].iter().all(|&c| per_class(c) >= 10),
        "{:?}",
        data.sounds.len()
    );
    assert_eq!(
        data.sounds.len(),
        report.sounds,
        "every synthetic clip, none of the broken ones"
    );
    let validation: std::collections::BTreeSet<PathBuf> =
        report.validation.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        data.validation, validation,
        "the dataset's Validation split is the held-out set"
    );
    let (train, test) = sori::build::split(&data, 0.2, 7);
    assert_eq!(test.len(), validation.len());
    let recs = |items: &[sori::build::dataset::SoundItem]| {
        items
            .iter()
            .map(|s| s.recording.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert!(
        recs(&train).is_disjoint(&recs(&test)),
        "a recording on both sides"
    );
    assert!(
        data.sounds
            .iter()
            .any(|s| s.path.to_string_lossy().contains("TS_1.사운드.zip/")),
        "sounds read from the zip"
    );
    assert!(!data.crops.is_empty(), "boxes become crops");
    let what = |w: &str| {
        data.problems
            .iter()
            .filter(|p| p.what == w)
            .map(|p| p.path.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    for (kind, file) in [
        ("truncated", "S15_0900_00.wav"),
        ("unreadable sound", "S15_0901_00.wav"),
        ("class not among the 76", "S99_0000_00.wav"),
        ("undecodable image", "I15_0800_00_00.jpg"),
        ("duplicate", "I15_0801_00_00.jpg"),
        ("box outside the image", "I15_0802_00_00.jpg"),
    ] {
        assert!(
            what(kind).iter().any(|p| p.ends_with(file)),
            "{file} is not reported as {kind}: {:#?}",
            data.problems
        );
    }
    assert_eq!(what("unparsable label").len(), 1);
    assert!(
        what("class name read loosely")
            .iter()
            .any(|p| p.contains("믹서기") || p.contains("S28")),
        "{:#?}",
        data.problems
    );

    // The build, through the command line.
    let out = dir.join("fixture.idx");
    let run = Command::new(env!("CARGO_BIN_EXE_sori"))
        .args(["build"])
        .arg(&root)
        .arg("--images")
        .arg(shared.join("images"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    for broken in [
        "S15_0900_00.wav",
        "S15_0901_00.wav",
        "S99_0000_00.wav",
        "I15_0800_00_00.jpg",
        "I15_0801_00_00.jpg",
        "I15_0802_00_00.jpg",
    ] {
        assert!(
            stderr.contains(broken),
            "{broken} is not reported:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("per class")
            && stderr.contains("warning_signal")
            && stderr.contains("blender"),
        "{stderr}"
    );
    let problems = std::fs::read_to_string(dir.join("fixture.idx.problems.tsv")).unwrap();
    assert!(problems.contains("truncated") && problems.contains("duplicate"));

    let index = Index::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    for slug in ["warning_signal", "blender", "pendulum_clock"] {
        let c = index.class_by_slug(slug).unwrap();
        assert!(c.coverage.is_trained(), "{slug}: {:?}", c.coverage);
        assert_eq!(
            c.image.as_ref().unwrap().mime,
            "image/svg+xml",
            "the index keeps the icon"
        );
    }
    assert!(
        index
            .subclasses
            .iter()
            .any(|s: &SubClass| s.class_id == 15 && s.name == "야외 경고음" && s.sounds > 0),
        "{:?}",
        index.subclasses
    );
    let inspect = Command::new(env!("CARGO_BIN_EXE_sori"))
        .arg("inspect")
        .arg(&out)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&inspect.stdout).contains("sub-classes: "));

    // Photos: in the companion file, within budget, cropped by the box (the object's colours).
    let photos =
        PhotoSet::from_bytes(&std::fs::read(dir.join("fixture.idx.photos")).unwrap()).unwrap();
    assert!(photos.image_bytes() <= 1_200_000);
    for slug in ["warning_signal", "blender", "pendulum_clock"] {
        assert!(
            photos.photos.iter().filter(|p| p.slug == slug).count() >= 2,
            "{slug}"
        );
    }
    let svg = std::fs::read_to_string(shared.join("images/warning_signal.svg")).unwrap();
    let palette = synth::palette(&svg);
    let photo = photos
        .photos
        .iter()
        .find(|p| p.slug == "warning_signal")
        .unwrap();
    let thumb = image::load_from_memory(&photo.bytes).unwrap().to_rgb8();
    let near_palette = thumb
        .pixels()
        .filter(|px| {
            palette.iter().any(|c| {
                c.iter()
                    .zip(px.0)
                    .all(|(a, b)| (i16::from(*a) - i16::from(b)).abs() < 40)
            })
        })
        .count();
    assert!(
        near_palette * 10 > thumb.pixels().count() * 9,
        "the photo shows the boxed object: {near_palette} of {} pixels",
        thumb.pixels().count()
    );

    // A held-out (Validation) clip of each class is answered with its class.
    let held: Vec<&(PathBuf, u16)> = [15u16, 28, 55]
        .iter()
        .filter_map(|c| report.validation.iter().find(|(_, k)| k == c))
        .collect();
    let m = Command::new(env!("CARGO_BIN_EXE_sori"))
        .args(["match", "--json", "--index"])
        .arg(&out)
        .args(held.iter().map(|(p, _)| p))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&m.stdout);
    let classes = sori::taxonomy::classes();
    let mut right = 0;
    for (line, (_, c)) in stdout.lines().zip(&held) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        right += usize::from(v["verdict"] == classes[usize::from(*c) - 1].slug.as_str());
    }
    assert!(
        right >= 2,
        "held-out clips answered right: {right} of {}\n{stdout}",
        held.len()
    );
    eprintln!("fixture test: {:.1} s", started.elapsed().as_secs_f32());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn subclass_section_is_optional_and_skipped_by_readers_that_do_not_know_it() {
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiny.idx")).unwrap();
    let mut index = Index::from_bytes(&bytes).unwrap();
    assert!(index.subclasses.is_empty());
    assert_eq!(
        index.to_bytes(),
        bytes,
        "no sub-classes, no section: old files are unchanged"
    );
    index.subclasses = vec![SubClass {
        class_id: 8,
        name: "김치전".into(),
        sounds: 2,
        images: 5,
    }];
    let with = index.to_bytes();
    assert_eq!(Index::from_bytes(&with).unwrap(), index);
    let header = sori::index::format::read_header(&with).unwrap();
    assert_eq!(header.sections.last().unwrap().tag, *b"SUBC");
    // Renamed to a tag this reader does not know (header checksum fixed): skipped, as older readers skip SUBC.
    let mut renamed = with.clone();
    let dir_pos = 24 + 16 * (header.sections.len() - 1);
    renamed[dir_pos..dir_pos + 4].copy_from_slice(b"ZZZZ");
    let renamed = sori::index::format::repair_checksums(&renamed).unwrap();
    let read = Index::from_bytes(&renamed).unwrap();
    assert!(read.subclasses.is_empty());
    assert_eq!(read.classes, index.classes);
    index.subclasses.push(SubClass {
        class_id: 99,
        name: "x".into(),
        sounds: 0,
        images: 0,
    });
    assert!(index.validate().is_err(), "a sub-class of an unknown class");
}
