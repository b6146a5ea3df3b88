//! The committed default index is what `sori build ../shared/corpus --images ../shared/images` produces,
//! byte for byte (deterministic builds), and it loads and answers.

use sori::index::Index;
use std::path::Path;

const DEFAULT_INDEX: &[u8] = include_bytes!("../assets/default.idx");
const DEFAULT_SOUNDS: &[u8] = include_bytes!("../assets/default.idx.sounds");

fn shared() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("corpus/manifest.tsv").exists() {
        Some(p)
    } else {
        eprintln!("skipped: ../shared is absent");
        None
    }
}

#[test]
fn default_index_loads_with_all_classes_and_images() {
    let index = Index::from_bytes(DEFAULT_INDEX).expect("the committed index loads");
    index
        .check_features(sori::matcher::analysis_hash())
        .expect("built with the shipped features");
    assert_eq!(index.classes.len(), 76);
    assert!(
        index.classes.iter().all(|c| c.image.is_some()),
        "every class has an image"
    );
    // Every class the corpus has recordings of is learned: from many recordings or from a few.
    let count =
        |c: sori::matcher::Coverage| index.classes.iter().filter(|k| k.coverage == c).count();
    let (many, few) = (
        count(sori::matcher::Coverage::Trained),
        count(sori::matcher::Coverage::TrainedFew),
    );
    assert_eq!(
        (many, few),
        (14, 16),
        "learned from many / a few recordings"
    );
    assert!(count(sori::matcher::Coverage::ZeroShot) > 0);
    assert!(!index.fingerprints.entries.is_empty());
    sori::matcher::Matcher::new(index, Default::default()).expect("the head fits the model");
}

#[test]
fn rebuilding_from_shared_gives_the_committed_bytes() {
    let Some(shared) = shared() else { return };
    let mut opts = sori::build::BuildOptions::new(shared.join("corpus"));
    opts.images = Some(shared.join("images"));
    let built = sori::build::build(&opts, &|_, _, _| {}).expect("build succeeds");
    let bytes = built.index.to_bytes();
    assert!(
        bytes == DEFAULT_INDEX,
        "assets/default.idx is stale or the build is not deterministic ({} vs {} bytes); rebuild with \
         `cargo run --release -- build ../shared/corpus --images ../shared/images`",
        bytes.len(),
        DEFAULT_INDEX.len()
    );
    let sounds = built
        .sounds
        .expect("the corpus has shippable sounds")
        .to_bytes();
    assert!(
        sounds == DEFAULT_SOUNDS,
        "assets/default.idx.sounds is stale or the build is not deterministic ({} vs {} bytes); \
         rebuild as above and copy <out>.sounds too",
        sounds.len(),
        DEFAULT_SOUNDS.len()
    );
}

/// The shipped reference sounds: each within budget, under an allowed licence, decodable, and,
/// checked against the corpus, cut from a training clip (never a held-out one) whose own licence
/// text allows it, with that clip's credit.
#[test]
fn default_reference_sounds_are_shippable_within_budget_and_never_held_out() {
    use sori::build::licence::{classify, Licence};
    let set = sori::index::sounds::SoundSet::from_bytes(DEFAULT_SOUNDS).expect("it loads");
    assert!(set.sounds.len() >= 20, "{}", set.describe());
    for s in &set.sounds {
        assert!(
            s.bytes.len() <= 12_000,
            "{}: {} bytes",
            s.slug,
            s.bytes.len()
        );
        assert!(
            matches!(classify(&s.licence), Licence::Redistributable(_)),
            "{}: {}",
            s.slug,
            s.licence
        );
        assert!(
            (1_900..=3_000).contains(&s.duration_ms),
            "{}: {} ms",
            s.slug,
            s.duration_ms
        );
        let (samples, rate) = sori::build::vorbis::decode(&s.bytes).expect("it decodes");
        assert_eq!(rate, 16_000);
        let ms = samples.len() as u32 * 1000 / rate;
        assert!(
            ms.abs_diff(s.duration_ms) < 50,
            "{}: {ms} ms decoded",
            s.slug
        );
    }
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpus");
    let data = sori::build::dataset::discover(&corpus).unwrap();
    let (train, test) = sori::build::split(&data, 0.2, 7);
    for s in &set.sounds {
        let path = corpus.join(&s.source);
        assert!(
            train.iter().any(|t| t.path == path),
            "{}: a training clip",
            s.slug
        );
        assert!(
            !test.iter().any(|t| t.path == path),
            "{}: not held out",
            s.slug
        );
        let text = &data.licences[&path];
        assert_eq!(
            classify(text),
            Licence::Redistributable(s.licence.clone()),
            "{}: {text}",
            s.slug
        );
        let item = data.sounds.iter().find(|t| t.path == path).unwrap();
        assert_eq!(item.credit, s.credit);
        assert_eq!(
            item.class_id,
            sori::taxonomy::classes()
                .iter()
                .find(|c| c.slug == s.slug)
                .map(|c| c.id)
        );
        // The codec kept the sound: the excerpt, cut again from the clip, against the shipped
        // bytes decoded (log-mel correlation, the build's own bar).
        let clip = sori::build::evidence::load_16k(&path).unwrap();
        let len = s.duration_ms as usize * 16;
        let (start, cut) = sori::build::refsound::excerpt(&clip, len);
        assert_eq!(
            start as u32 / 16,
            s.start_ms,
            "{}: the excerpt's start",
            s.slug
        );
        let (decoded, _) = sori::build::vorbis::decode(&s.bytes).unwrap();
        let corr = sori::build::vorbis::logmel_correlation(&cut, &decoded);
        assert!(
            corr >= sori::build::refsound::MIN_CORRELATION,
            "{}: round-trip log-mel correlation {corr}",
            s.slug
        );
    }
}

#[test]
fn a_class_with_a_single_recording_is_offered_but_does_not_take_over() {
    let Some(shared) = shared() else { return };
    let index = Index::from_bytes(DEFAULT_INDEX).expect("the committed index loads");
    let single: Vec<(u16, String)> = index
        .classes
        .iter()
        .filter(|c| c.recordings == 1)
        .map(|c| (c.info.id, c.info.slug.clone()))
        .collect();
    assert!(
        single.len() >= 4,
        "the corpus has classes with a single recording: {single:?}"
    );
    for (id, slug) in &single {
        let c = index.class_by_id(*id).unwrap();
        assert_eq!(c.coverage, sori::matcher::Coverage::TrainedFew, "{slug}");
        assert!(index.head.outputs.contains(id), "{slug} has a head output");
    }
    // Held-out clips of the other classes and `other` clips: the single-recording classes are
    // offered among the candidates, but are rarely the verdict.
    let data = sori::build::dataset::discover(&shared.join("corpus")).unwrap();
    let (_, test) = sori::build::split(&data, 0.2, 7);
    let mut per_class = std::collections::BTreeMap::new();
    let picked: Vec<_> = test
        .iter()
        .filter(|s| s.role != sori::build::dataset::Role::Near)
        .filter(|s| {
            let n = per_class.entry(s.class_id).or_insert(0);
            *n += 1;
            *n <= if s.class_id.is_some() { 3 } else { 60 }
        })
        .collect();
    let model = sori::build::load_model(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(sori::embed::DEFAULT_MODEL_PATH),
    )
    .unwrap();
    let matcher = sori::matcher::Matcher::new(index, Default::default()).unwrap();
    let mut analyzer = sori::matcher::Analyzer::new(model);
    let (mut taken, mut offered) = (0, 0);
    for s in &picked {
        let samples = sori::build::evidence::load_16k(&s.path).unwrap();
        let r = matcher.match_analysis(&analyzer.analyse(&samples), &samples);
        taken += single.iter().any(|(_, slug)| *slug == r.verdict) as usize;
        offered += r
            .matches
            .iter()
            .any(|m| single.iter().any(|(_, slug)| *slug == m.class)) as usize;
    }
    eprintln!(
        "{} held-out clips of other classes and `other` clips: a single-recording class is the verdict for {taken}, among the candidates for {offered}",
        picked.len()
    );
    assert!(
        offered > 0,
        "single-recording classes are offered as candidates"
    );
    assert!(
        taken * 20 <= picked.len(),
        "single-recording classes answer {taken} of {} clips of other sounds",
        picked.len()
    );
}
