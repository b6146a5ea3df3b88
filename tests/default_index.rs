//! The committed default index is what `sori build ../shared/corpus --images ../shared/images` produces,
//! byte for byte (deterministic builds), and it loads and answers.

use sori::index::Index;
use std::path::Path;

const DEFAULT_INDEX: &[u8] = include_bytes!("../assets/default.idx");

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
    let trained = index
        .classes
        .iter()
        .filter(|c| c.coverage == sori::matcher::Coverage::Trained)
        .count();
    assert_eq!(trained, 13, "the 13 classes with recordings are trained");
    assert!(!index.fingerprints.entries.is_empty());
    sori::matcher::Matcher::new(index, Default::default()).expect("the head fits the model");
}

#[test]
fn rebuilding_from_shared_gives_the_committed_bytes() {
    let Some(shared) = shared() else { return };
    let mut opts = sori::build::BuildOptions::new(shared.join("corpus"));
    opts.images = Some(shared.join("images"));
    let (index, _) = sori::build::build_index(&opts, &|_, _, _| {}).expect("build succeeds");
    let bytes = index.to_bytes();
    assert!(
        bytes == DEFAULT_INDEX,
        "assets/default.idx is stale or the build is not deterministic ({} vs {} bytes); rebuild with \
         `cargo run --release -- build ../shared/corpus --images ../shared/images`",
        bytes.len(),
        DEFAULT_INDEX.len()
    );
}
