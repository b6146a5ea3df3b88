//! Lists the clips the default index never saw (the test side of `sori build`'s split by recording), with
//! the native pipeline's verdict for each, as JSON for the end-to-end tests (which check that the browser
//! reaches the right class on held-out clips the native matcher gets right; `group` says whether the
//! corpus has many recordings of the class or a few):
//! `cargo run --release --example heldout_clips -- ../shared/corpus > tests/e2e/heldout.json`

fn main() -> anyhow::Result<()> {
    let input = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/corpus".into());
    let root = std::path::PathBuf::from(&input);
    let data = sori::build::dataset::discover(&root).map_err(anyhow::Error::msg)?;
    let defaults = sori::build::BuildOptions::new(root.clone());
    let (_, test) = sori::build::split(&data, defaults.holdout, defaults.seed);
    let classes = sori::taxonomy::classes();
    let groups = sori::build::eval::ClassGroups::from_sounds(&data.sounds);
    let model = sori::build::load_model(std::path::Path::new(sori::embed::DEFAULT_MODEL_PATH))?;
    let index = sori::index::Index::from_bytes(&std::fs::read("assets/default.idx")?)?;
    let matcher = sori::matcher::Matcher::new(index, Default::default())?;
    let mut analyzer = sori::matcher::Analyzer::new(model);
    let clips: Vec<serde_json::Value> = test
        .iter()
        .filter(|s| s.role == sori::build::dataset::Role::Class)
        .filter_map(|s| {
            let slug = &classes.iter().find(|c| Some(c.id) == s.class_id)?.slug;
            let rel = s.path.strip_prefix(&root).unwrap_or(&s.path);
            let samples = sori::build::evidence::load_16k(&s.path).ok()?;
            let verdict = matcher.match_analysis(&analyzer.analyse(&samples), &samples).verdict;
            let many = groups.recordings(s.class_id?) >= sori::build::eval::MANY_RECORDINGS;
            let group = if many { "many" } else { "few" };
            Some(serde_json::json!({"path": rel.to_string_lossy(), "class": slug, "group": group, "recording": s.recording, "native_verdict": verdict}))
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({ "clips": clips }))?
    );
    Ok(())
}
