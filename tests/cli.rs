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
