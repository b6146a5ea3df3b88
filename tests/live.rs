//! The live session hears what the file path hears: fed in 128-sample blocks, its answers are the
//! matcher's answers for the same windows analysed from the whole buffer.

use sori::embed::efficientat::Mn04;
use sori::index::Index;
use sori::matcher::{
    Analysis, Analyzer, LiveSession, MatchResult, Matcher, MatcherOptions, EVIDENCE_WINDOWS,
    WINDOW_SAMPLES,
};
use std::sync::Arc;

const MODEL: &[u8] = include_bytes!("../assets/model/mn04.sorim");
const INDEX: &[u8] = include_bytes!("../assets/default.idx");

/// 6.5 s of a 90 Hz hum with harmonics, a chirp and a little noise.
fn signal() -> Vec<f32> {
    let mut seed = 12345u64;
    (0..104_000)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let noise = ((seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5;
            let hum: f32 = (1..6)
                .map(|h| (std::f32::consts::TAU * 90.0 * h as f32 * t).sin() / h as f32)
                .sum();
            let chirp = (std::f32::consts::TAU * (400.0 + 300.0 * t) * t).sin();
            0.15 * hum + 0.1 * chirp + 0.02 * noise
        })
        .collect()
}

#[test]
fn live_answers_equal_file_analysis_of_the_same_windows() {
    let model = Arc::new(Mn04::from_bytes(MODEL).unwrap());
    let index = Index::from_bytes(INDEX).unwrap();
    let options = MatcherOptions::default().fingerprints(false);
    let matcher = Arc::new(Matcher::new(index, options).unwrap());
    let x = signal();
    let mut session = LiveSession::new(Arc::clone(&model), Arc::clone(&matcher), 16_000).unwrap();
    let mut answers: Vec<(usize, MatchResult)> = Vec::new();
    for (i, block) in x.chunks(128).enumerate() {
        session.push(block);
        if let Some(r) = session.poll().result {
            answers.push(((i + 1) * 128, r));
        }
    }
    assert!(answers.len() >= 10, "{} answers", answers.len());
    let mut analyzer = Analyzer::new(model);
    let matches = |r: &MatchResult| r.matches.clone();

    // The first answer, one window in: what the file path answers for the first 0.975 s alone.
    let (heard, first) = &answers[0];
    assert!(*heard >= WINDOW_SAMPLES && *heard < WINDOW_SAMPLES + 128);
    let short = analyzer.analyse(&x[..WINDOW_SAMPLES]);
    assert_eq!(
        matches(first),
        matches(&matcher.match_analysis(&short, &x[..WINDOW_SAMPLES]))
    );

    // The last answer: the last six (EVIDENCE_WINDOWS) complete windows, all with sound.
    let (heard, last) = answers.last().unwrap();
    // The file path's window layout, complete windows only (the live session waits for them).
    let starts: Vec<usize> = Analyzer::window_starts(*heard)
        .into_iter()
        .filter(|s| s + WINDOW_SAMPLES <= *heard)
        .collect();
    let recent = Analysis {
        window_starts: starts[starts.len() - EVIDENCE_WINDOWS..].to_vec(),
        windows: starts[starts.len() - EVIDENCE_WINDOWS..]
            .iter()
            .map(|&s| analyzer.analyse_at(&x, s))
            .collect(),
    };
    assert_eq!(EVIDENCE_WINDOWS, 6);
    assert!(recent.windows.iter().all(Option::is_some));
    let expected = matcher.decide(&recent.embeddings(), &recent.scores(), None);
    assert_eq!(matches(last), matches(&expected));
    assert_eq!(last.verdict, expected.verdict);
}
