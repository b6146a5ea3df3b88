//! EfficientAT mn04 against PyTorch: the front end and the model must reproduce the reference
//! activations in `../shared/models/efficientat-mn04/reference` (read at run time; the tests that
//! need it print a message and pass when it is absent), both with f32 weights folded here from the
//! checkpoint and with the shipped `assets/model/mn04.sorim`. The committed fixtures in
//! `tests/fixtures/efficientat_ref/` (always present) pin the shipped file to the converter's exact
//! NumPy forward pass.
//!
//! Run with `--nocapture` to see the measured numbers.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{cosine, f32s, max_abs_diff, mel_from_reference, top5};
use sori::embed::efficientat::{
    encode, labels, BlockSpec, Encoding, LayerKind, LayerSpec, LayerWeights, Mn04, Mn04Output,
    BLOCKS, MN04_MODEL_PATH,
};
use sori::features::EfficientAtMel;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The reference folder, or `None` (with a message) when `../shared` is absent.
fn reference() -> Option<PathBuf> {
    let dir = root().join("../shared/models/efficientat-mn04");
    if dir.join("reference/mel_128xT.f32").exists() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn read_f32(path: &Path) -> Vec<f32> {
    f32s(&std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display())))
}

fn fixture(name: &str) -> Vec<f32> {
    read_f32(&root().join("tests/fixtures/efficientat_ref").join(name))
}

fn shipped() -> Mn04 {
    let bytes = std::fs::read(root().join(MN04_MODEL_PATH)).expect("reading the model");
    Mn04::from_bytes(&bytes).expect("the shipped model loads")
}

#[test]
fn front_end_matches_the_reference_mel() {
    let Some(dir) = reference() else { return };
    let input = read_f32(&dir.join("reference/input_32k.f32"));
    let want = read_f32(&dir.join("reference/mel_128xT.f32"));
    let got = EfficientAtMel::new().compute(&input);
    assert_eq!(got.frames * 128, want.len());
    let d = max_abs_diff(&got.data, &mel_from_reference(&want).data);
    println!(
        "front end vs PyTorch: max |diff| {d:.2e} over {} frames",
        got.frames
    );
    assert!(d <= 1e-4, "mel max abs diff {d}");
}

/// Reads the f32 tensors of a safetensors file (an 8-byte header length, a JSON header, the data).
fn safetensors(path: &Path) -> HashMap<String, Vec<f32>> {
    let bytes = std::fs::read(path).expect("reading the checkpoint");
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n]).expect("safetensors header");
    let data = &bytes[8 + n..];
    header
        .into_iter()
        .filter(|(_, v)| v["dtype"] == "F32")
        .map(|(k, v)| {
            let (s, e) = (
                v["data_offsets"][0].as_u64().unwrap(),
                v["data_offsets"][1].as_u64().unwrap(),
            );
            (k, f32s(&data[s as usize..e as usize]))
        })
        .collect()
}

/// The checkpoint's conv `prefix.0` + BatchNorm `prefix.1` folded (eps 0.001, in f64) and reordered
/// from PyTorch's `[cout][cin][mel][time]` to the record layout (time-major, channel last).
fn fold(t: &HashMap<String, Vec<f32>>, prefix: &str, spec: LayerSpec) -> LayerWeights {
    let get = |s: &str| &t[&format!("{prefix}.{s}")];
    let (w, g, beta, mean, var) = (
        get("0.weight"),
        get("1.weight"),
        get("1.bias"),
        get("1.running_mean"),
        get("1.running_var"),
    );
    let scale: Vec<f64> = (0..spec.cout)
        .map(|o| f64::from(g[o]) / (f64::from(var[o]) + 1e-3).sqrt())
        .collect();
    let (k, cin, cout) = (spec.kernel, spec.cin, spec.cout);
    let mut weights = vec![0f32; spec.weight_count()];
    for o in 0..cout {
        let gin = if spec.kind == LayerKind::Depthwise {
            1
        } else {
            cin
        };
        for i in 0..gin {
            for f in 0..k {
                for tt in 0..k {
                    let v = (f64::from(w[((o * gin + i) * k + f) * k + tt]) * scale[o]) as f32;
                    let dst = match spec.kind {
                        LayerKind::Depthwise => (tt * k + f) * cout + o,
                        _ => ((tt * k + f) * cin + i) * cout + o,
                    };
                    weights[dst] = v;
                }
            }
        }
    }
    let bias = (0..cout)
        .map(|o| (f64::from(beta[o]) - f64::from(mean[o]) * scale[o]) as f32)
        .collect();
    LayerWeights {
        spec,
        weights,
        bias,
    }
}

/// A PyTorch `Linear` (`[out][in]`) as a dense record (`[in][out]`).
fn linear(t: &HashMap<String, Vec<f32>>, prefix: &str, spec: LayerSpec) -> LayerWeights {
    let w = &t[&format!("{prefix}.weight")];
    let weights = (0..spec.cin * spec.cout)
        .map(|j| w[(j % spec.cout) * spec.cin + j / spec.cout])
        .collect();
    LayerWeights {
        spec,
        weights,
        bias: t[&format!("{prefix}.bias")].clone(),
    }
}

/// The checkpoint's tensor prefixes in record order (`features.N.block.J…`, as architecture.txt nests them).
fn prefixes() -> Vec<String> {
    let mut v = vec!["features.0".to_string()];
    for (i, b) in BLOCKS
        .iter()
        .enumerate()
        .map(|(i, b): (usize, &BlockSpec)| (i + 1, b))
    {
        let mut j = 0;
        if b.expanded != b.cin {
            v.push(format!("features.{i}.block.{j}"));
            j += 1;
        }
        v.push(format!("features.{i}.block.{j}"));
        j += 1;
        if b.se {
            v.push(format!("features.{i}.block.{j}.conc_se_layers.0.fc1"));
            v.push(format!("features.{i}.block.{j}.conc_se_layers.0.fc2"));
            j += 1;
        }
        v.push(format!("features.{i}.block.{j}"));
    }
    v.extend(["features.16", "classifier.2", "classifier.5"].map(String::from));
    v
}

/// mn04 with the checkpoint's weights in f32 (BatchNorm folded here, independently of the converter).
fn f32_model(dir: &Path) -> Mn04 {
    let t = safetensors(&dir.join("mn04_as_mAP_432.safetensors"));
    let layers: Vec<LayerWeights> = LayerSpec::all()
        .into_iter()
        .zip(prefixes())
        .map(|(spec, p)| match spec.kind {
            LayerKind::Dense => linear(&t, &p, spec),
            _ => fold(&t, &p, spec),
        })
        .collect();
    Mn04::from_bytes(&encode(&layers, Encoding::F32).unwrap()).expect("the f32 export loads")
}

/// Checks every stage, the features, hidden values and logits against the reference; returns the
/// minimum stage cosine.
fn check_model(name: &str, model: &Mn04, dir: &Path, min_stage_cos: f32) -> Mn04Output {
    let mel = mel_from_reference(&read_f32(&dir.join("reference/mel_128xT.f32")));
    let (out, stages) = model
        .forward_traced(&mel, &mut model.new_scratch())
        .unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("reference/blocks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), stages.len());
    let mut line = format!("{name}: stage cosines");
    for (s, f) in stages.iter().zip(&files) {
        // features.NN_CxFxT.f32, channel-major -> time-major, channel last.
        let want = read_f32(f);
        let dims = f
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .rsplit('_')
            .next()
            .unwrap()
            .to_string();
        let d: Vec<usize> = dims.split('x').map(|v| v.parse().unwrap()).collect();
        assert_eq!(
            (s.channels, s.bands, s.steps),
            (d[0], d[1], d[2]),
            "{}",
            f.display()
        );
        let want: Vec<f32> = (0..want.len())
            .map(|i| {
                let (c, rest) = (i % d[0], i / d[0]);
                want[(c * d[1] + rest % d[1]) * d[2] + rest / d[1]]
            })
            .collect();
        let c = cosine(&s.data, &want);
        line += &format!(" {c:.6}");
        assert!(c >= min_stage_cos, "{name} {}: cosine {c}", f.display());
    }
    println!("{line}");
    let (f, h, l) = (
        read_f32(&dir.join("reference/features_384.f32")),
        read_f32(&dir.join("reference/hidden_512.f32")),
        read_f32(&dir.join("reference/logits_527.f32")),
    );
    let (cf, ch, cl) = (
        cosine(&out.features, &f),
        cosine(&out.hidden, &h),
        cosine(&out.logits, &l),
    );
    let names = labels();
    let ours: Vec<&str> = top5(&out.logits).into_iter().map(|i| names[i]).collect();
    let theirs: Vec<&str> = top5(&l).into_iter().map(|i| names[i]).collect();
    println!(
        "{name}: features cos {cf:.7}, hidden cos {ch:.7}, logits cos {cl:.7}, max |logit diff| {:.2e}\n  top-5 {ours:?}\n  ref   {theirs:?}",
        max_abs_diff(&out.logits, &l)
    );
    assert!(
        cf >= 0.999 && cl >= 0.999,
        "{name}: features {cf}, logits {cl}"
    );
    assert_eq!(ours, theirs, "{name}: top-5 labels differ");
    out
}

#[test]
fn f32_weights_reproduce_every_stage() {
    let Some(dir) = reference() else { return };
    let out = check_model("f32", &f32_model(&dir), &dir, 0.99999);
    let l = read_f32(&dir.join("reference/logits_527.f32"));
    assert!(max_abs_diff(&out.logits, &l) < 1e-3);
}

#[test]
fn shipped_weights_match_the_reference() {
    let Some(dir) = reference() else { return };
    check_model("shipped int8/f16", &shipped(), &dir, 0.999);
}

#[test]
fn shipped_weights_match_the_converters_exact_forward_pass() {
    // Always runs: committed fixtures only.
    let model = shipped();
    let mel = mel_from_reference(&fixture("mel_128xT.f32"));
    let mut scratch = model.new_scratch();
    let out = model.forward(&mel, &mut scratch).unwrap();
    let (cf, cl) = (
        cosine(&out.features, &fixture("features_sorim.f32")),
        cosine(&out.logits, &fixture("logits_sorim.f32")),
    );
    let d = max_abs_diff(&out.logits, &fixture("logits_sorim.f32"));
    println!("rust vs NumPy (f64) with the shipped weights: features cos {cf:.7}, logits cos {cl:.7}, max |logit diff| {d:.2e}");
    assert!(cf >= 0.99999 && cl >= 0.99999, "features {cf}, logits {cl}");
    assert!(d < 1e-3, "max logit diff {d}");
    assert_eq!(top5(&out.logits), top5(&fixture("logits_527.f32")));
}

#[test]
fn front_end_and_model_from_the_committed_input() {
    // Always runs: the 3 s input through the Rust front end and the shipped model.
    let mut front = EfficientAtMel::new();
    let mel = front.compute(&fixture("input_32k.f32"));
    let d = max_abs_diff(
        &mel.data,
        &mel_from_reference(&fixture("mel_128xT.f32")).data,
    );
    assert!(d <= 1e-4, "mel max abs diff {d}");
    let model = shipped();
    let out = model.forward(&mel, &mut model.new_scratch()).unwrap();
    let c = cosine(&out.features, &fixture("features_384.f32"));
    assert!(c >= 0.999, "features cosine {c}");
    assert_eq!(top5(&out.logits), top5(&fixture("logits_527.f32")));
}
