//! What the codec keeps of each shipped reference sound: for every sound of a `.sounds` file, its
//! source clip's excerpt is cut again (refsound::excerpt) and encoded at every rung of the ladder
//! that fits the budget; per rung: bytes, the build's log-mel correlation (every frame and band),
//! the correlation of the time-averaged log-mel spectra (the spectral envelope), and the excerpt's
//! spectral flatness (1 = white noise, 0 = pure tones) and how much its log-mel varies over time.
//!
//! cargo run --release --example refsound_quality -- ../shared/corpus [assets/default.idx.sounds] [CLASS]
//!
//! With CLASS: that sound's excerpt (2 s) at every Vorbis quality from -0.2 to 1 (bytes, correlations),
//! and its time-averaged log-mel spectrum per band, original against decoded at quality 0.

use sori::build::{evidence, refsound, vorbis};
use sori::features::{FeatureConfig, LogMelExtractor};
use sori::index::sounds::SoundSet;

fn mean_spectrum(m: &sori::features::LogMel) -> Vec<f32> {
    let mut s = vec![0f32; m.bands];
    for t in 0..m.frames {
        for (a, v) in s.iter_mut().zip(m.frame(t)) {
            *a += v / m.frames as f32;
        }
    }
    s
}

fn pearson(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len()) as f64;
    let mx = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let my = y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (a, b) = (f64::from(a) - mx, f64::from(b) - my);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    (sxy / (sxx * syy).sqrt()) as f32
}

/// Spectral flatness (geometric / arithmetic mean of the power spectrum, averaged over 512-sample frames).
fn flatness(x: &[f32]) -> f32 {
    let mut planner = realfft::RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(512);
    let (mut sum, mut n) = (0f64, 0);
    for c in x.chunks_exact(512) {
        let mut buf: Vec<f32> = c
            .iter()
            .enumerate()
            .map(|(i, &v)| v * (0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / 512.0).cos()))
            .collect();
        let mut spec = fft.make_output_vec();
        fft.process(&mut buf, &mut spec).unwrap();
        let p: Vec<f64> = spec[1..]
            .iter()
            .map(|z| f64::from(z.norm_sqr()) + 1e-12)
            .collect();
        let geo = (p.iter().map(|v| v.ln()).sum::<f64>() / p.len() as f64).exp();
        let ari = p.iter().sum::<f64>() / p.len() as f64;
        sum += geo / ari;
        n += 1;
    }
    (sum / n.max(1) as f64) as f32
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = std::path::PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let file = args
        .next()
        .unwrap_or_else(|| "assets/default.idx.sounds".into());
    let set =
        SoundSet::from_bytes(&std::fs::read(&file).expect("sounds file")).expect("sounds file");
    let opts = refsound::RefSoundOptions::default();
    let mut ex = LogMelExtractor::new(&FeatureConfig::display());
    if let Some(class) = args.next() {
        let s = set
            .sounds
            .iter()
            .find(|s| s.slug == class)
            .expect("no sound of that class");
        let samples = evidence::load_16k(&root.join(&s.source)).expect("source clip");
        let (_, cut) = refsound::excerpt(&samples, 32_000.min(samples.len()));
        for q in [-0.2f32, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0] {
            let (bytes, corr) = vorbis::encode_checked(&cut, q).unwrap();
            let (dec, _) = vorbis::decode(&bytes).unwrap();
            let spec = pearson(
                &mean_spectrum(&ex.compute(&cut)),
                &mean_spectrum(&ex.compute(&dec)),
            );
            println!(
                "q {q:>4}: {:>6} bytes, log-mel corr {corr:.3}, mean-spectrum corr {spec:.3}",
                bytes.len()
            );
        }
        let (bytes, _) = vorbis::encode_checked(&cut, 0.0).unwrap();
        let (dec, _) = vorbis::decode(&bytes).unwrap();
        let (a, b) = (
            mean_spectrum(&ex.compute(&cut)),
            mean_spectrum(&ex.compute(&dec)),
        );
        let hz = |band: usize| {
            let mel = |f: f32| 2595.0 * (1.0 + f / 700.0).log10();
            let (lo, hi) = (mel(125.0), mel(7500.0));
            let m = lo + (hi - lo) * (band + 1) as f32 / 65.0;
            700.0 * (10f32.powf(m / 2595.0) - 1.0)
        };
        println!("band centre Hz | original | decoded (q 0)");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            println!("{:>6.0} | {x:>7.2} | {y:>7.2}", hz(i));
        }
        return;
    }
    println!("| class | rung (s, q) | bytes | log-mel corr | mean-spectrum corr | flatness | log-mel sd over time (dB-ish) |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for s in &set.sounds {
        let samples = evidence::load_16k(&root.join(&s.source)).expect("source clip");
        for (share, q) in refsound::LADDER {
            let len = ((opts.seconds * share * 16_000.0) as usize).min(samples.len());
            let (_, cut) = refsound::excerpt(&samples, len);
            let (bytes, corr) = vorbis::encode_checked(&cut, q).unwrap();
            if bytes.len() > opts.max_bytes {
                continue;
            }
            let (dec, _) = vorbis::decode(&bytes).unwrap();
            let (a, b) = (ex.compute(&cut), ex.compute(&dec));
            let spec = pearson(&mean_spectrum(&a), &mean_spectrum(&b));
            // How much the excerpt's log-mel moves over time, around each band's mean.
            let m = mean_spectrum(&a);
            let var = (0..a.frames)
                .flat_map(|t| a.frame(t).iter().zip(&m).map(|(v, mu)| (v - mu) * (v - mu)))
                .sum::<f32>()
                / a.data.len() as f32;
            println!(
                "| {} | {:.1} s, {q} | {} | {corr:.3} | {spec:.3} | {:.3} | {:.2} |",
                s.slug,
                len as f32 / 16_000.0,
                bytes.len(),
                flatness(&cut),
                var.sqrt()
            );
            if corr >= refsound::MIN_CORRELATION {
                break;
            }
        }
    }
}
