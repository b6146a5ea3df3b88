//! The `sori` binary end to end: `match --json` output format, held-out corpus clips, bad input.

use std::process::Command;

fn sori() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sori"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sori-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn write_wav(path: &std::path::Path, samples: &[f32], rate: u32) {
    let mut b = Vec::new();
    let data_len = (samples.len() * 2) as u32;
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn match_json_prints_one_object_per_file_and_errors_for_bad_files() {
    let silence = tmp("silence.wav");
    write_wav(&silence, &vec![0.0; 44_100], 44_100);
    let garbage = tmp("garbage.wav");
    std::fs::write(&garbage, b"this is not audio at all").unwrap();
    let empty = tmp("empty.ogg");
    std::fs::write(&empty, b"").unwrap();
    let out = sori()
        .args(["match", "--json"])
        .arg(&silence)
        .arg(&garbage)
        .arg(&empty)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0]["verdict"], "silence");
    assert!(lines[0]["matches"].as_array().unwrap().is_empty());
    assert!(lines[1]["error"].as_str().unwrap().len() > 5);
    assert!(lines[2]["error"].as_str().is_some());
    assert!(
        !out.status.success(),
        "bad files make the exit status non-zero"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn match_identifies_held_out_corpus_clips() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(data) = sori::build::dataset::discover(&root) else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    // Held-out clips of the default index's split: two per trained class.
    let (_, test) = sori::build::split(&data, 0.2, 7);
    let classes = sori::taxonomy::classes();
    let mut picked: Vec<(std::path::PathBuf, String)> = Vec::new();
    for item in test
        .iter()
        .filter(|s| s.role == sori::build::dataset::Role::Class)
    {
        let slug = classes
            .iter()
            .find(|c| Some(c.id) == item.class_id)
            .unwrap()
            .slug
            .clone();
        if picked.iter().filter(|(_, s)| *s == slug).count() < 2 {
            picked.push((item.path.clone(), slug));
        }
    }
    assert!(picked.len() >= 20);
    let out = sori()
        .args(["match", "--json"])
        .args(picked.iter().map(|p| &p.0))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut top3 = 0;
    for (line, (path, slug)) in stdout.lines().zip(&picked) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["file"], path.display().to_string());
        let matches = v["matches"].as_array().unwrap();
        assert!(!matches.is_empty() && matches.len() <= 5);
        let verdict = v["verdict"].as_str().unwrap();
        assert!(verdict == "unknown" || classes.iter().any(|c| c.slug == verdict));
        top3 += matches.iter().take(3).any(|m| m["class"] == slug.as_str()) as usize;
    }
    // A working pipeline ranks the right class in the top 3 for most held-out clips (the eval measures how well).
    assert!(
        top3 * 10 >= picked.len() * 7,
        "right class in the top 3 for only {top3} of {} held-out clips",
        picked.len()
    );
}

#[test]
fn build_reports_bad_manifest_rows_and_clips_and_keeps_the_rest() {
    // A corpus in the manifest layout with, beside good clips of two classes and `other` sounds: a
    // class slug that is not one of the 76, a missing file, a zero-length clip, a silent clip and a
    // clip shorter than one analysis window.
    let dir = tmp("bad-manifest");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("audio")).unwrap();
    let rate = 16_000;
    let tone = |f: f32, secs: f32, seed: u32| -> Vec<f32> {
        let mut s = seed;
        (0..(secs * rate as f32) as usize)
            .map(|i| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (s >> 9) as f32 / (1u32 << 23) as f32 - 0.5;
                let t = i as f32 / rate as f32;
                0.3 * (std::f32::consts::TAU * f * t).sin()
                    + 0.2 * (std::f32::consts::TAU * 2.0 * f * t).sin()
                    + 0.05 * noise
            })
            .collect()
    };
    let wav = |name: &str, samples: &[f32]| {
        std::fs::write(
            dir.join("audio").join(name),
            sori::build::aihub::synth::wav_bytes(rate, 1, samples),
        )
        .unwrap();
    };
    let mut rows = vec!["path\tsource\tlabel\tclass\trole\trecording\tlicense\tcredit".to_string()];
    for i in 0..3 {
        wav(
            &format!("bell{i}.wav"),
            &tone(880.0 + 40.0 * i as f32, 2.0, i),
        );
        rows.push(format!(
            "audio/bell{i}.wav\tt\tbell\tdoorbell\tclass\tbell{i}\tCC0\t"
        ));
        wav(
            &format!("hum{i}.wav"),
            &tone(110.0 + 5.0 * i as f32, 2.0, 10 + i),
        );
        rows.push(format!(
            "audio/hum{i}.wav\tt\thum\trefrigerator\tclass\thum{i}\tCC0\t"
        ));
        wav(&format!("noise{i}.wav"), &tone(3000.0, 2.0, 20 + i));
        rows.push(format!(
            "audio/noise{i}.wav\tt\thiss\t\tother\tnoise{i}\tCC0\t"
        ));
    }
    wav("spaceship.wav", &tone(440.0, 2.0, 30));
    rows.push("audio/spaceship.wav\tt\tx\tspaceship\tclass\tss\tCC0\t".into());
    rows.push("audio/nope.wav\tt\tx\tdoorbell\tclass\tnope\tCC0\t".into());
    std::fs::write(dir.join("audio/empty.wav"), b"").unwrap();
    rows.push("audio/empty.wav\tt\tbell\tdoorbell\tclass\tempty\tCC0\t".into());
    wav("quiet.wav", &vec![0.0; 2 * rate as usize]);
    rows.push("audio/quiet.wav\tt\thum\trefrigerator\tclass\tquiet\tCC0\t".into());
    wav("short.wav", &tone(900.0, 0.5, 40));
    rows.push("audio/short.wav\tt\tbell\tdoorbell\tclass\tshort\tCC0\t".into());
    std::fs::write(dir.join("manifest.tsv"), rows.join("\n") + "\n").unwrap();

    let out = dir.join("test.idx");
    let run = sori()
        .args(["build", "--holdout", "0", "--augmentations", "0", "--out"])
        .arg(&out)
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"));
    let problems = std::fs::read_to_string(dir.join("test.idx.problems.tsv")).unwrap();
    for (file, what) in [
        ("spaceship.wav", "class not among the 76"),
        ("nope.wav", "missing file"),
        ("empty.wav", "undecodable sound"),
        ("quiet.wav", "silent sound"),
        ("short.wav", "shorter than one analysis window"),
    ] {
        let line = problems
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} is not reported:\n{problems}"));
        assert!(line.contains(what), "{file}: {line}");
        if file != "empty.wav" && file != "quiet.wav" && file != "short.wav" {
            assert!(
                line.contains("manifest.tsv line"),
                "the row is named: {line}"
            );
        }
    }
    // Nothing else is lost: both classes are learned from every good clip (and the short one).
    let index = sori::index::Index::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    let clips = |slug: &str| index.class_by_slug(slug).unwrap().clips;
    assert_eq!(clips("doorbell"), 4, "3 bells and the short clip");
    assert_eq!(clips("refrigerator"), 3, "3 hums, not the silent clip");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `sori teach` then `sori match --pack`: a new sound taught from three corpus recordings (page
/// turning, Kitchen20 "book", which the shipped index has no class for) answers clips of other
/// recordings of it, only with the pack, and says the verdict is taught; a silent example is
/// skipped with its reason. The same fixture as `tests/e2e/teach.test.mjs`.
#[test]
fn teach_then_match_with_the_pack() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.join("manifest.tsv").exists() {
        eprintln!("skipped: ../shared is absent");
        return;
    }
    let clip = |name: &str| root.join("audio/kitchen20").join(name);
    // Examples and held-out clips come from different recordings (the Kitchen20 id before -A-).
    let examples = [
        "0-120782-A-13.ogg",
        "0-146780-A-13.ogg",
        "0-158765-A-13.ogg",
    ];
    let held_out = ["1-202097-A-13.ogg", "2-232798-A-13.ogg"];
    let silence = tmp("teach-silence.wav");
    write_wav(&silence, &vec![0.0; 3 * 16_000], 16_000);
    let pack = tmp("teach-book.soripak");
    let _ = std::fs::remove_file(&pack);

    let out = sori()
        .args([
            "teach",
            "--class",
            "page_turning",
            "--name-ko",
            "책장 넘기기",
        ])
        .args(["--name-en", "page turning", "--keep-audio", "--out"])
        .arg(&pack)
        .args(examples.iter().map(|e| clip(e)))
        .arg(&silence)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches(": kept").count(), 3, "{stderr}");
    assert!(
        stderr.contains("teach-silence.wav: skipped: nothing was heard"),
        "{stderr}"
    );
    let bytes = std::fs::read(&pack).unwrap();
    let p = sori::teach::Pack::from_bytes(&bytes).unwrap();
    assert_eq!(p.classes.len(), 1);
    assert_eq!(p.classes[0].slug, "page_turning");
    assert_eq!(p.classes[0].examples.len(), 3);
    assert!(p.classes[0].examples.iter().all(|e| !e.audio.is_empty()));

    let verdicts = |with_pack: bool| -> Vec<serde_json::Value> {
        let mut cmd = sori();
        cmd.args(["match", "--json"]);
        if with_pack {
            cmd.arg("--pack").arg(&pack);
        }
        let out = cmd.args(held_out.iter().map(|e| clip(e))).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    for v in verdicts(false) {
        assert_ne!(v["verdict"], "page_turning", "{v}");
        assert_ne!(v["taught"], true, "{v}");
    }
    for v in verdicts(true) {
        assert_eq!(v["verdict"], "page_turning", "{v}");
        assert_eq!(v["taught"], true, "{v}");
    }

    // A damaged pack is refused with a message, not a panic.
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x40;
    let bad = tmp("teach-damaged.soripak");
    std::fs::write(&bad, &damaged).unwrap();
    let out = sori()
        .args(["match", "--pack"])
        .arg(&bad)
        .arg(clip(held_out[0]))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("damaged"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn build_makes_reference_sounds_only_where_allowed_and_inspect_lists_them() {
    // Two classes: doorbell clips under CC0, refrigerator clips under the hackathon dataset's own
    // terms. Without --dataset-sounds only the doorbell gets a reference sound; with it both do.
    // `sori inspect <out>.sounds` lists each sound's class, size, source and licence.
    let dir = tmp("refsounds");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("audio")).unwrap();
    let rate = 16_000;
    let tone = |f: f32, seed: u32| -> Vec<f32> {
        let mut s = seed;
        (0..3 * rate as usize)
            .map(|i| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (s >> 9) as f32 / (1u32 << 23) as f32 - 0.5;
                let t = i as f32 / rate as f32;
                let env = 0.6 + 0.4 * (std::f32::consts::TAU * 2.0 * t).sin();
                env * 0.3 * (std::f32::consts::TAU * f * t).sin() + 0.05 * noise
            })
            .collect()
    };
    let terms = sori::build::licence::DATASET_TERMS;
    let mut rows = vec!["path\tsource\tlabel\tclass\trole\trecording\tlicense\tcredit".to_string()];
    for i in 0..3u32 {
        for (name, class, f, licence, credit) in [
            ("bell", "doorbell", 880.0, "CC0", "Bell Maker"),
            ("hum", "refrigerator", 110.0, terms, "AI-Hub"),
            ("noise", "", 3000.0, "CC0", ""),
        ] {
            let file = format!("{name}{i}.wav");
            std::fs::write(
                dir.join("audio").join(&file),
                sori::build::aihub::synth::wav_bytes(rate, 1, &tone(f + 30.0 * i as f32, i)),
            )
            .unwrap();
            let role = if class.is_empty() { "other" } else { "class" };
            rows.push(format!(
                "audio/{file}\tt\t{name}\t{class}\t{role}\t{name}{i}\t{licence}\t{credit}"
            ));
        }
    }
    std::fs::write(dir.join("manifest.tsv"), rows.join("\n") + "\n").unwrap();

    let build = |out: &std::path::Path, extra: &[&str]| {
        let run = sori()
            .args(["build", "--holdout", "0", "--augmentations", "0"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .arg(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(run.status.success(), "{stderr}");
        let sounds = out.with_extension("idx.sounds");
        let set = sori::index::sounds::SoundSet::from_bytes(&std::fs::read(&sounds).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", sounds.display()));
        (sounds, set, stderr)
    };
    let inspect = |sounds: &std::path::Path| {
        let run = sori().arg("inspect").arg(sounds).output().unwrap();
        assert!(run.status.success());
        String::from_utf8_lossy(&run.stdout).into_owned()
    };

    let (plain, set, stderr) = build(&dir.join("plain.idx"), &[]);
    let slugs: Vec<&str> = set.sounds.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(slugs, ["doorbell"], "only the CC0 class:\n{stderr}");
    assert!(
        stderr.contains("refrigerator"),
        "the report says why the refrigerator has no sound:\n{stderr}"
    );
    let listing = inspect(&plain);
    assert!(listing.contains("1 reference sounds"), "{listing}");
    assert!(!listing.contains("refrigerator"), "{listing}");

    let (with_terms, set, stderr) = build(&dir.join("terms.idx"), &["--dataset-sounds"]);
    let slugs: Vec<&str> = set.sounds.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(
        slugs.len(),
        2,
        "both classes with --dataset-sounds:\n{stderr}"
    );
    let listing = inspect(&with_terms);
    assert!(listing.contains("2 reference sounds"), "{listing}");
    for s in &set.sounds {
        assert!(
            s.bytes.len() <= 12_000,
            "{}: {} bytes",
            s.slug,
            s.bytes.len()
        );
        let (licence, credit, source) = match s.slug.as_str() {
            "doorbell" => ("CC0", "Bell Maker", "audio/bell"),
            "refrigerator" => (terms, "AI-Hub", "audio/hum"),
            other => panic!("unexpected class {other}"),
        };
        assert_eq!(s.licence, licence);
        assert!(s.source.starts_with(source), "{}", s.source);
        let line = listing
            .lines()
            .find(|l| l.trim_start().starts_with(&s.slug))
            .unwrap_or_else(|| panic!("{} is not listed:\n{listing}", s.slug));
        for want in [
            format!("{} B", s.bytes.len()),
            s.source.clone(),
            licence.to_string(),
            credit.to_string(),
        ] {
            assert!(line.contains(&want), "{want:?} missing from: {line}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
