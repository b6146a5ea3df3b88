//! A synthetic dataset in the hackathon's own layout, for the fixture test and the scale benchmark
//! (`examples/gen_dataset.rs`): corpus clips and class icons -> folders and zip archives of WAVs,
//! JPEGs and label JSONs, as [`super::read`] expects the real one. Never committed: it is written
//! into a temporary folder.
//!
//! ```text
//! <out>/01.데이터/1.Training/원천데이터/TS_1.사운드.zip      sounds (zip, macOS-style NFD names)
//!                           /라벨링데이터/TL_1.사운드.zip    their labels (UTF-8 and CP949, alternately)
//!                           /원천데이터/TS_2.이미지/…        photos (folders)
//!                           /라벨링데이터/TL_2.이미지/…      their labels, with bounding boxes
//!                2.Validation/원천데이터/VS_1.사운드/…       sounds (folders with NFD names)
//!                           /라벨링데이터/VL_1.사운드/…
//!                           /원천데이터/VS_2.이미지_<n>.zip   photos, one zip per category
//!                           /라벨링데이터/VL_2.이미지.zip
//! inside each: <n>.<category>/<class, spaced differently>/<sub-class>/<file>
//! ```
//!
//! Sounds are "recordings" made by joining corpus clips of the source class, with noise and gain,
//! resampled to one of several rates (8–48 kHz) and cut into 2–4 clips (`S<class>_<rec>_<clip>.wav`,
//! some labels also naming the recording). Photos take their colours from the class icon's palette:
//! a labelled object (the bounding box) on a noisy background, at phone-camera sizes; a few
//! distinct encodes per class are made unique per file by a JPEG comment segment (same decoding
//! cost, different bytes). Accuracy measured on such a dataset means nothing; its shape and size do.

use crate::build::dataset::{self, Role};
use crate::build::evidence::load_16k;
use crate::taxonomy::ClassInfo;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// What to write.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Classes to write, each with the corpus class slug its sounds are made from.
    pub classes: Vec<(u16, String)>,
    /// Sound clips per class (same order as `classes`), made from recordings of 2–4 clips each.
    pub clips_per_class: Vec<usize>,
    /// Photos per sound clip.
    pub photos_per_clip: usize,
    /// Distinct photo encodes per class (files reuse them with a unique comment segment).
    pub distinct_photos: usize,
    /// Photo sizes (width, height), used in turn.
    pub photo_sizes: Vec<(u32, u32)>,
    /// Clip durations are drawn from these (seconds, weight) ranges: `(lo, hi, weight)`.
    pub durations: Vec<(f32, f32, f32)>,
    /// Every n-th recording goes to the validation split.
    pub validation_every: usize,
    /// Seed.
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct SynthReport {
    /// Sound clips, photos and label files written.
    pub sounds: usize,
    /// Photos written.
    pub photos: usize,
    /// Label files written.
    pub labels: usize,
    /// Seconds of sound.
    pub seconds: f64,
    /// Bytes written.
    pub bytes: u64,
    /// Root of the dataset (`<out>/01.데이터`).
    pub root: PathBuf,
    /// Logical paths of the validation sound clips, with their class.
    pub validation: Vec<(PathBuf, u16)>,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Where files of one kind go: a folder, or a zip archive written as files arrive.
enum Sink {
    Folder(PathBuf),
    Zip(Box<zip::ZipWriter<std::io::BufWriter<std::fs::File>>>),
}

/// All sinks by their path below the root.
struct Sinks {
    root: PathBuf,
    open: BTreeMap<String, Sink>,
    bytes: u64,
}

impl Sinks {
    fn put(&mut self, sink: &str, rel: &str, data: &[u8]) -> std::io::Result<()> {
        self.bytes += data.len() as u64;
        if !self.open.contains_key(sink) {
            let path = self.root.join(sink);
            let s = if sink.ends_with(".zip") {
                std::fs::create_dir_all(path.parent().expect("zip in a folder"))?;
                let f = std::io::BufWriter::new(std::fs::File::create(&path)?);
                Sink::Zip(Box::new(zip::ZipWriter::new(f)))
            } else {
                Sink::Folder(path)
            };
            self.open.insert(sink.to_string(), s);
        }
        match self.open.get_mut(sink).expect("just opened") {
            Sink::Folder(dir) => {
                let p = dir.join(rel);
                std::fs::create_dir_all(p.parent().expect("file in a folder"))?;
                std::fs::write(p, data)
            }
            Sink::Zip(z) => {
                // Archives "made on macOS": decomposed (NFD) names.
                let name: String = rel.nfd().collect();
                let method = if rel.ends_with(".json") {
                    zip::CompressionMethod::Deflated
                } else {
                    zip::CompressionMethod::Stored
                };
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(method)
                    .large_file(data.len() > (1 << 30));
                z.start_file(name, opts).map_err(std::io::Error::other)?;
                z.write_all(data)
            }
        }
    }

    fn finish(self) -> std::io::Result<()> {
        for (_, s) in self.open {
            if let Sink::Zip(z) = s {
                z.finish().map_err(std::io::Error::other)?;
            }
        }
        Ok(())
    }
}

/// A 16-bit PCM WAV file in memory: `interleaved` holds frames of `channels` samples in `[-1, 1]`.
pub fn wav_bytes(rate: u32, channels: u16, interleaved: &[f32]) -> Vec<u8> {
    let data_len = (interleaved.len() * 2) as u32;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    for field in [
        &b"RIFF"[..],
        &(36 + data_len).to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
        &1u16.to_le_bytes(),
        &channels.to_le_bytes(),
        &rate.to_le_bytes(),
        &(rate * u32::from(channels) * 2).to_le_bytes(),
        &(channels * 2).to_le_bytes(),
        &16u16.to_le_bytes(),
        b"data",
        &data_len.to_le_bytes(),
    ] {
        b.extend_from_slice(field);
    }
    for &s in interleaved {
        b.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32_767.0).round() as i16).to_le_bytes());
    }
    b
}

/// `samples` as mono, or as stereo with a slightly delayed, quieter second channel.
fn channels_of(samples: &[f32], stereo: bool) -> (u16, Vec<f32>) {
    if !stereo {
        return (1, samples.to_vec());
    }
    let inter = samples
        .iter()
        .enumerate()
        .flat_map(|(i, &s)| [s, samples[i.saturating_sub(7)] * 0.9])
        .collect();
    (2, inter)
}

/// The fill colours of an SVG (`#rrggbb` or `#rgb`), in order of appearance, at most 6.
pub fn palette(svg: &str) -> Vec<[u8; 3]> {
    let mut out: Vec<[u8; 3]> = Vec::new();
    for (i, _) in svg.match_indices('#') {
        let hex: String = svg[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        let v = |s: &str| u8::from_str_radix(s, 16).ok();
        let c = match hex.len() {
            6 => (|| Some([v(&hex[0..2])?, v(&hex[2..4])?, v(&hex[4..6])?]))(),
            3 => (|| {
                Some([
                    v(&hex[0..1])? * 17,
                    v(&hex[1..2])? * 17,
                    v(&hex[2..3])? * 17,
                ])
            })(),
            _ => None,
        };
        if let Some(c) = c.filter(|c| !out.contains(c)) {
            out.push(c);
        }
        if out.len() == 6 {
            break;
        }
    }
    out
}

/// A photo: a noisy background and, inside `object` (`[x, y, w, h]`), the palette's colours.
pub fn render_photo(
    w: u32,
    h: u32,
    palette: &[[u8; 3]],
    object: [u32; 4],
    seed: u64,
) -> image::RgbImage {
    let mut rng = Rng(seed);
    let bg = [
        40 + rng.below(120) as u8,
        40 + rng.below(120) as u8,
        40 + rng.below(120) as u8,
    ];
    let fallback = [[200, 120, 60]];
    let pal: &[[u8; 3]] = if palette.is_empty() {
        &fallback
    } else {
        palette
    };
    let [ox, oy, ow, oh] = object;
    let bands = pal.len() as u32;
    let mut state = seed | 1;
    image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state >> 61) as i16 - 4;
        let base = if x >= ox && x < ox + ow && y >= oy && y < oy + oh {
            pal[(((y - oy) * bands / oh.max(1)) as usize).min(pal.len() - 1)]
        } else {
            let shade = (y * 60 / h.max(1)) as u8;
            [
                bg[0].saturating_sub(shade),
                bg[1].saturating_sub(shade),
                bg[2].saturating_sub(shade),
            ]
        };
        image::Rgb(base.map(|c| (i16::from(c) + n).clamp(0, 255) as u8))
    })
}

/// `jpeg` with a comment segment holding `text` after its SOI marker: different bytes, same image.
pub fn with_comment(jpeg: &[u8], text: &str) -> Vec<u8> {
    let body = text.as_bytes();
    let mut out = Vec::with_capacity(jpeg.len() + body.len() + 4);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xff, 0xfe]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A label JSON in UTF-8, or in CP949 when `cp949`.
fn label_bytes(v: &serde_json::Value, cp949: bool) -> Vec<u8> {
    let text = serde_json::to_string_pretty(v).expect("JSON value");
    if cp949 {
        encoding_rs::EUC_KR.encode(&text).0.into_owned()
    } else {
        text.into_bytes()
    }
}

/// How the dataset writes a class name: the notice's, spaced differently, or another wording.
fn depth2_of(c: &ClassInfo, k: usize) -> String {
    if c.slug == "blender" {
        return "믹서기 사용".into();
    }
    let name = &c.name_ko;
    match k % 3 {
        0 => name.clone(),
        1 => name.replace(' ', ""),
        _ => name.replacen("사용", " 사용", 1).replace("  ", " "),
    }
}

/// Writes the dataset under `out` from the corpus at `corpus` and the icons in `icons`.
pub fn write(
    corpus: &Path,
    icons: &Path,
    out: &Path,
    opts: &SynthOptions,
    progress: crate::build::Progress,
) -> Result<SynthReport, String> {
    let data = dataset::discover(corpus)?;
    let taxonomy = crate::taxonomy::classes();
    let root = out.join("01.데이터");
    let mut sinks = Sinks {
        root: root.clone(),
        open: BTreeMap::new(),
        bytes: 0,
    };
    let mut report = SynthReport {
        root: root.clone(),
        ..Default::default()
    };
    let mut rng = Rng(opts.seed);
    let rates = [8_000u32, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000];
    let total_weight: f32 = opts.durations.iter().map(|d| d.2).sum();
    let io = |e: std::io::Error| e.to_string();
    for (n, (class_id, source)) in opts.classes.iter().enumerate() {
        let c = taxonomy
            .get(usize::from(*class_id).wrapping_sub(1))
            .ok_or_else(|| format!("no class id {class_id}"))?;
        let src_id = taxonomy.iter().find(|t| t.slug == *source).map(|t| t.id);
        let mut clips: Vec<&std::path::PathBuf> = data
            .sounds
            .iter()
            .filter(|s| s.role == Role::Class && s.class_id == src_id)
            .map(|s| &s.path)
            .collect();
        if clips.is_empty() {
            clips = data.sounds.iter().map(|s| &s.path).collect();
        }
        let cat_no = [
            "cooking",
            "traffic",
            "household",
            "farm_machinery",
            "traditional",
            "sports",
        ]
        .iter()
        .position(|k| *k == c.category)
        .unwrap_or(0)
            + 1;
        let cat = format!("{cat_no}.{}", c.category_ko);
        let class_folder = depth2_of(c, n);
        let svg =
            std::fs::read_to_string(icons.join(format!("{}.svg", c.slug))).unwrap_or_default();
        let pal = palette(&svg);
        // (JPEG, object box, size) of each distinct photo of the class.
        type Base = (Vec<u8>, [u32; 4], (u32, u32));
        let bases: Vec<Base> = (0..opts.distinct_photos.max(1))
            .map(|k| {
                let (w, h) = opts.photo_sizes[(n + k) % opts.photo_sizes.len()];
                let object = [
                    w / 5 + (k as u32 * 37) % (w / 10),
                    h / 6,
                    w / 2,
                    h / 2 + h / 8,
                ];
                let img = render_photo(
                    w,
                    h,
                    &pal,
                    object,
                    opts.seed ^ (u64::from(*class_id) << 20) ^ k as u64,
                );
                (
                    crate::build::images::encode_jpeg(&img, 85).unwrap_or_default(),
                    object,
                    (w, h),
                )
            })
            .collect();
        let mut clip_cursor = rng.below(clips.len());
        let wanted = opts.clips_per_class.get(n).copied().unwrap_or(0);
        let (mut written, mut r) = (0, 0);
        while written < wanted {
            let validation =
                opts.validation_every > 0 && r % opts.validation_every == opts.validation_every - 1;
            let sub = ["", "작은 ", "야외 "][r % 3].to_string() + &c.name_ko;
            let rel_dir = format!("{cat}/{class_folder}/{sub}");
            let n_clips = (2 + rng.below(3)).min(wanted - written);
            written += n_clips;
            let rate = rates[rng.below(rates.len())];
            let gain = 0.3 + 0.6 * rng.unit();
            for k in 0..n_clips {
                let mut pick = rng.unit() * total_weight;
                let &(lo, hi, _) = opts
                    .durations
                    .iter()
                    .find(|d| {
                        pick -= d.2;
                        pick <= 0.0
                    })
                    .unwrap_or(&opts.durations[0]);
                let seconds = lo + (hi - lo) * rng.unit();
                let mut audio: Vec<f32> = Vec::new();
                while (audio.len() as f32) < seconds * 16_000.0 {
                    let clip = load_16k(clips[clip_cursor % clips.len()])
                        .unwrap_or_else(|_| vec![0.0; 16_000]);
                    clip_cursor += 1;
                    audio.extend(clip);
                }
                audio.truncate((seconds * 16_000.0) as usize);
                let mut noise = Rng(rng.next());
                audio
                    .iter_mut()
                    .for_each(|s| *s = *s * gain + (noise.unit() - 0.5) * 0.004);
                let audio =
                    crate::audio::resample(&audio, 16_000, rate).map_err(|e| e.to_string())?;
                let stem = format!("S{class_id:02}_{r:04}_{k:02}");
                let (split, s_sink, l_sink) = if validation {
                    (
                        "2.Validation",
                        "원천데이터/VS_1.사운드",
                        "라벨링데이터/VL_1.사운드",
                    )
                } else {
                    (
                        "1.Training",
                        "원천데이터/TS_1.사운드.zip",
                        "라벨링데이터/TL_1.사운드.zip",
                    )
                };
                let rel = format!("{rel_dir}/{stem}.wav");
                // Validation folders are written as a Mac would copy them: NFD names.
                let disk_rel: String = if validation {
                    rel.nfd().collect()
                } else {
                    rel.clone()
                };
                sinks
                    .put(&format!("{split}/{s_sink}"), &disk_rel, &{
                        let (channels, frames) = channels_of(&audio, k % 5 == 4);
                        wav_bytes(rate, channels, &frames)
                    })
                    .map_err(io)?;
                let mut info = serde_json::json!({"class": {"depth1": c.category_ko, "depth2": class_folder, "depth3": sub},
                    "file_name": format!("{stem}.wav"), "sample_rate": rate, "duration": seconds});
                if r % 2 == 0 {
                    info["recording_id"] = serde_json::json!(format!("REC-{class_id:02}-{r:04}"));
                }
                let label = serde_json::json!({"info": info, "annotations": []});
                let label_rel = format!("{rel_dir}/{stem}.json");
                let label_rel: String = if validation {
                    label_rel.nfd().collect()
                } else {
                    label_rel
                };
                sinks
                    .put(
                        &format!("{split}/{l_sink}"),
                        &label_rel,
                        &label_bytes(&label, (r + k) % 2 == 1),
                    )
                    .map_err(io)?;
                report.sounds += 1;
                report.labels += 1;
                report.seconds += f64::from(seconds);
                if validation {
                    report
                        .validation
                        .push((root.join(split).join(s_sink).join(&disk_rel), *class_id));
                }
                for p in 0..opts.photos_per_clip {
                    let (jpeg, object, (w, h)) = &bases[(r * 7 + k * 3 + p) % bases.len()];
                    let name = format!("I{class_id:02}_{r:04}_{k:02}_{p:02}");
                    let bytes = with_comment(jpeg, &format!("sori synthetic photo {name}"));
                    let (i_sink, il_sink) = if validation {
                        (
                            format!("2.Validation/원천데이터/VS_2.이미지_{cat_no}.zip"),
                            "2.Validation/라벨링데이터/VL_2.이미지.zip".to_string(),
                        )
                    } else {
                        (
                            "1.Training/원천데이터/TS_2.이미지".to_string(),
                            "1.Training/라벨링데이터/TL_2.이미지".to_string(),
                        )
                    };
                    sinks
                        .put(&i_sink, &format!("{rel_dir}/{name}.jpg"), &bytes)
                        .map_err(io)?;
                    let bbox = if p % 5 == 4 {
                        serde_json::json!({})
                    } else {
                        serde_json::json!({"bndex_xcrdnt": object[0], "bndex_ycrdnt": object[1], "bndex_width": object[2], "bndex_hg": object[3]})
                    };
                    let label = serde_json::json!({"info": {"class": {"depth1": c.category_ko, "depth2": class_folder, "depth3": sub},
                        "file_name": format!("{name}.jpg"), "width": w, "height": h}, "annotations": [{"id": 1, "bbox": bbox}]});
                    sinks
                        .put(
                            &il_sink,
                            &format!("{rel_dir}/{name}.json"),
                            &label_bytes(&label, p % 2 == 1),
                        )
                        .map_err(io)?;
                    report.photos += 1;
                    report.labels += 1;
                }
            }
            r += 1;
        }
        progress("writing dataset", n as u64 + 1, opts.classes.len() as u64);
    }
    report.bytes = sinks.bytes;
    sinks.finish().map_err(io)?;
    Ok(report)
}
